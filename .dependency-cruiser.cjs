/**
 * The layering, checked on every `npm test` (npm run lint): no import cycles, and imports point
 * down. See README "Architecture".
 *   domain/                     imports nothing of ours outside domain/
 *   ports/                      imports only domain/
 *   operations/, jobs/          never import slack/, sandbox/, http/ (they talk through ports/)
 *   store/, platform/, policy/  never import operations/, jobs/, slack/, sandbox/, http/
 *   main.ts                     imported by nobody; bootstrap.ts only by main.ts and sandbox/
 */
/** A rule: imports from `from` to `to` (path regexps; `toNot` carves out what is allowed) are errors. */
const forbid = (name, comment, from, to, toNot) => ({
  name,
  comment,
  severity: 'error',
  from: from ? { path: from[0], ...(from[1] ? { pathNot: from[1] } : {}) } : {},
  to: { path: to, ...(toNot ? { pathNot: toNot } : {}) },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles make load order matter and layers meaningless.', from: {}, to: { circular: true } },
    forbid('domain-is-pure', 'domain/ imports nothing of ours outside domain/.', ['^src/domain/'], '^src/', '^src/domain/'),
    forbid('ports-below-everything', 'Ports are interfaces over domain types.', ['^src/ports/'], '^src/', '^src/(domain|ports)/'),
    forbid('core-below-the-edge', 'operations/ and jobs/ reach Slack, HTTP and the sandbox through ports.', ['^src/(operations|jobs)/'], '^src/(slack|sandbox|http|api)/'),
    forbid('adapters-below-operations', 'Stores, platforms and the policy never import what uses them.', ['^src/(store|platform|policy)/'], '^src/(operations|jobs|slack|sandbox|http|api|commands)/'),
    forbid('commands-are-parsers', 'Grammars know domain/ and nothing that acts.', ['^src/commands/'], '^src/', '^src/(commands|domain)/'),
    forbid('nobody-imports-the-cli', 'main.ts is the launcher.', undefined, '^src/main\\.ts$'),
    forbid('bootstrap-only-from-launchers', 'Only main.ts and the sandbox start the bot.', ['^src/', '^src/(main\\.ts|sandbox/)'], '^src/bootstrap\\.ts$'),
    forbid('src-never-imports-tests', 'The product never depends on its tests.', ['^src/'], '^(test|bench)/'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/sandbox/ui/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
