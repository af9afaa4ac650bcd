/**
 * What every release entity shares: the two kinds (release tasks and blue-green jobs), a
 * reference to one of them, and who acts on them. Pure types.
 */

/** The two kinds of release entity: a batch release task, or a blue-green job. */
export type EntityKind = 'task' | 'bluegreen';

/** A release task (by ID) or a blue-green job (by name): what a card, a thread or a run belongs to. */
export interface EntityRef {
  kind: EntityKind;
  id: string;
}

/**
 * Who acts: a Slack user by ID (rendered as <@U…>), an API token by name with the `ci:` prefix
 * (`ci:github-actions`, rendered in bold), or `system` for the workers.
 */
export type SlackUserId = string;

/** An API token acting (its scope was checked where the request came in); never a Slack user ID. */
export const API_ACTOR_PREFIX = 'ci:';
export const isApiActor = (user: string): boolean => user.startsWith(API_ACTOR_PREFIX);

export const taskRef = (id: string): EntityRef => ({ kind: 'task', id });
export const jobRef = (id: string): EntityRef => ({ kind: 'bluegreen', id });
