import { createHmac, randomBytes } from 'node:crypto';

/** Slack request-signing headers. */
export interface SlackSignatureHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

/**
 * Signs a raw request body the way Slack does:
 * `v0=hex(HMAC-SHA256(secret, "v0:" + ts + ":" + rawBody))`.
 */
export function signSlackRequest(
  secret: string,
  body: string,
  timestampSec: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const ts = String(timestampSec);
  const digest = createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': ts };
}

/** Fields of a slash-command request; the required ones plus any overrides of the defaults. */
export interface SlashCommandFields {
  command: string;
  text: string;
  user_id: string;
  channel_id: string;
  [field: string]: string;
}

function triggerId(): string {
  return `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
}

/** Builds the form-urlencoded body Slack POSTs for a slash command, with realistic defaults for omitted fields. */
export function slashCommandBody(fields: SlashCommandFields): string {
  const all: Record<string, string> = {
    token: 'verification-token',
    team_id: 'T0TEST',
    team_domain: 'switchyard-test',
    channel_name: 'releases',
    user_name: `user-${fields.user_id.toLowerCase()}`,
    api_app_id: 'A0TEST',
    response_url: 'https://hooks.slack.com/commands/T0TEST/1/response',
    trigger_id: triggerId(),
    ...fields,
  };
  const order = [
    'token', 'team_id', 'team_domain', 'channel_id', 'channel_name', 'user_id', 'user_name',
    'command', 'text', 'api_app_id', 'response_url', 'trigger_id',
  ];
  const params = new URLSearchParams();
  for (const key of order) params.append(key, all[key] ?? '');
  for (const [key, value] of Object.entries(all)) if (!order.includes(key)) params.append(key, value);
  return params.toString();
}

/** Parameters of a `block_actions` button click. */
export interface BlockActionParams {
  user_id: string;
  channel_id: string;
  message_ts: string;
  action_id: string;
  value: string;
  block_id?: string;
  response_url?: string;
}

/** Builds the `payload=<url-encoded JSON>` body Slack POSTs for a button click (`block_actions`). */
export function blockActionsBody(p: BlockActionParams): string {
  return blockActions(p, { action_id: p.action_id, block_id: p.block_id ?? 'actions', value: p.value, type: 'button', action_ts: actionTs() });
}

/** The body Slack POSTs when an option of a `static_select` is chosen: `value` is the option's value. */
export function staticSelectBody(p: BlockActionParams): string {
  const selected_option = { text: { type: 'plain_text', text: p.value }, value: p.value };
  return blockActions(p, { action_id: p.action_id, block_id: p.block_id ?? 'actions', type: 'static_select', selected_option, action_ts: actionTs() });
}

function actionTs(): string {
  return (Date.now() / 1000).toFixed(6);
}

/** A `block_actions` payload from the message at `p.channel_id`/`p.message_ts` carrying one `action`. */
function blockActions(p: BlockActionParams, action: Record<string, unknown>): string {
  const teamId = 'T0TEST';
  const payload = {
    type: 'block_actions',
    user: { id: p.user_id, username: `user-${p.user_id.toLowerCase()}`, name: `user-${p.user_id.toLowerCase()}`, team_id: teamId },
    api_app_id: 'A0TEST',
    token: 'verification-token',
    container: { type: 'message', message_ts: p.message_ts, channel_id: p.channel_id, is_ephemeral: false },
    trigger_id: triggerId(),
    team: { id: teamId, domain: 'switchyard-test' },
    channel: { id: p.channel_id, name: 'releases' },
    message: { type: 'message', ts: p.message_ts, text: '', blocks: [] },
    response_url: p.response_url ?? 'https://hooks.slack.com/actions/T0TEST/1/response',
    actions: [action],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Parameters of a modal submission (`view_submission`): its callback_id, private_metadata and input values. */
export interface ViewSubmissionParams {
  user_id: string;
  callback_id: string;
  private_metadata: string;
  /** Plain-text inputs: block_id → action_id → value. */
  values: Record<string, Record<string, string>>;
}

/** Builds the body Slack POSTs when a modal is submitted (`view_submission`). */
export function viewSubmissionBody(p: ViewSubmissionParams): string {
  const teamId = 'T0TEST';
  const values = Object.fromEntries(
    Object.entries(p.values).map(([block, inputs]) => [block, Object.fromEntries(Object.entries(inputs).map(([id, value]) => [id, { type: 'plain_text_input', value }]))]),
  );
  const payload = {
    type: 'view_submission',
    team: { id: teamId, domain: 'switchyard-test' },
    user: { id: p.user_id, username: `user-${p.user_id.toLowerCase()}`, name: `user-${p.user_id.toLowerCase()}`, team_id: teamId },
    api_app_id: 'A0TEST',
    token: 'verification-token',
    trigger_id: triggerId(),
    view: { id: 'V0MODAL', type: 'modal', team_id: teamId, callback_id: p.callback_id, private_metadata: p.private_metadata, state: { values } },
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Parameters of a `function_executed` event: a Workflow Builder step of ours runs. */
export interface FunctionExecutedParams {
  callback_id: string;
  inputs: Record<string, unknown>;
  /** Default: a fresh `Fx…` ID. */
  function_execution_id?: string;
  /** Default: a fresh `Ev…` ID (the receiver drops an event_id it has seen). */
  event_id?: string;
}

/** A fresh ID in Slack's style: `prefix` and upper-case letters and digits. */
function slackId(prefix: string): string {
  return `${prefix}${randomBytes(6).toString('hex').toUpperCase()}`;
}

/** A new function execution ID, as Slack puts in a function_executed event. */
export function functionExecutionId(): string {
  return slackId('Fx');
}

/**
 * The JSON body Slack POSTs (Events API, `event_callback`) when a workflow runs one of our custom
 * steps: the function, its inputs, the execution ID and the execution's short-lived bot token.
 * Send it with `postSigned(…, { contentType: 'application/json' })`.
 */
export function functionExecutedBody(p: FunctionExecutedParams): string {
  const teamId = 'T0TEST';
  const now = Math.floor(Date.now() / 1000);
  return JSON.stringify({
    token: 'verification-token',
    team_id: teamId,
    api_app_id: 'A0TEST',
    type: 'event_callback',
    event_id: p.event_id ?? slackId('Ev'),
    event_time: now,
    authorizations: [{ enterprise_id: null, team_id: teamId, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event: {
      type: 'function_executed',
      function: {
        id: 'Fn0TEST0001', callback_id: p.callback_id, title: 'Start a release task', type: 'app', app_id: 'A0TEST',
        input_parameters: [], output_parameters: [], date_created: now, date_updated: now, date_deleted: 0,
      },
      inputs: p.inputs,
      function_execution_id: p.function_execution_id ?? functionExecutionId(),
      workflow_execution_id: slackId('Wx'),
      event_ts: (Date.now() / 1000).toFixed(6),
      bot_access_token: `xwfp-${randomBytes(12).toString('hex')}`,
    },
  });
}

/**
 * The JSON body Slack POSTs (Events API) when `user` opens a tab of the bot's App Home (`home`,
 * or `messages` / `about`). Send it with `postSigned(…, { contentType: 'application/json' })`.
 */
export function appHomeOpenedBody(user: string, tab: 'home' | 'messages' | 'about' = 'home'): string {
  const teamId = 'T0TEST';
  return JSON.stringify({
    token: 'verification-token',
    team_id: teamId,
    api_app_id: 'A0TEST',
    type: 'event_callback',
    event_id: slackId('Ev'),
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: teamId, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
    event: { type: 'app_home_opened', user, channel: slackId('D'), tab, event_ts: (Date.now() / 1000).toFixed(6) },
  });
}

/** Options for {@link postSigned}: signing secret, optional timestamp, or a verbatim (e.g. forged) signature. */
export interface PostSignedOptions {
  secret: string;
  timestampSec?: number;
  signature?: string;
  /** Default: form-encoded, as Slack sends commands and interactions; events come as application/json. */
  contentType?: string;
}

/** Response of {@link postSigned}; `json` is set when the body parses as JSON. */
export interface PostSignedResult {
  status: number;
  body: string;
  json?: unknown;
}

/**
 * POSTs a form-urlencoded body with Slack signature headers. Without `opts` no signature headers are sent;
 * `opts.signature` replaces the computed signature (to test rejection).
 */
export async function postSigned(url: string, body: string, opts?: PostSignedOptions): Promise<PostSignedResult> {
  const headers: Record<string, string> = { 'content-type': opts?.contentType ?? 'application/x-www-form-urlencoded' };
  if (opts) {
    const signed = signSlackRequest(opts.secret, body, opts.timestampSec);
    headers['x-slack-request-timestamp'] = signed['x-slack-request-timestamp'];
    headers['x-slack-signature'] = opts.signature ?? signed['x-slack-signature'];
  }
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return json === undefined ? { status: res.status, body: text } : { status: res.status, body: text, json };
}
