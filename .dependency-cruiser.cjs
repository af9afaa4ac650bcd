/**
 * The layering, checked on every `npm test` (npm run lint): no import cycles, and imports point
 * down. See README "Architecture".
 *   domain/                     imports nothing of ours outside domain/
 *   ports/                      imports only domain/
 *   operations/, jobs/          never import slack/, sandbox/, http/ (they talk through ports/)
 *   store/, platform/, policy/  never import operations/, jobs/, slack/, sandbox/, http/
 *   main.ts                     imported by nobody; bootstrap.ts only by main.ts and sandbox/
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles make load order matter and layers meaningless.', from: {}, to: { circular: true } },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'domain/ is pure: it imports nothing of ours outside domain/.',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'ports-below-everything',
      severity: 'error',
      comment: 'Ports are interfaces over domain types; they import nothing else of ours.',
      from: { path: '^src/ports/' },
      to: { path: '^src/', pathNot: '^src/(domain|ports)/' },
    },
    {
      name: 'core-below-the-edge',
      severity: 'error',
      comment: 'operations/ and jobs/ talk to Slack, HTTP and the sandbox through ports, never by import.',
      from: { path: '^src/(operations|jobs)/' },
      to: { path: '^src/(slack|sandbox|http|api)/' },
    },
    {
      name: 'adapters-below-operations',
      severity: 'error',
      comment: 'Stores, platforms and the policy are used by operations and jobs, never the other way round.',
      from: { path: '^src/(store|platform|policy)/' },
      to: { path: '^src/(operations|jobs|slack|sandbox|http|api|commands)/' },
    },
    {
      name: 'commands-are-parsers',
      severity: 'error',
      comment: 'Grammars turn text into typed commands; they know domain/ and nothing that acts.',
      from: { path: '^src/commands/' },
      to: { path: '^src/', pathNot: '^src/(commands|domain)/' },
    },
    {
      name: 'nobody-imports-the-cli',
      severity: 'error',
      comment: 'main.ts is the launcher; the bootstrap and the sandbox never import it.',
      from: {},
      to: { path: '^src/main\\.ts$' },
    },
    {
      name: 'bootstrap-only-from-launchers',
      severity: 'error',
      comment: 'Only the launchers (main.ts, the sandbox) start the bot.',
      from: { path: '^src/', pathNot: '^src/(main\\.ts|sandbox/)' },
      to: { path: '^src/bootstrap\\.ts$' },
    },
    {
      name: 'src-never-imports-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/sandbox/ui/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
