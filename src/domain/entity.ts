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

/** A Slack user, by ID (rendered as <@U…>). */
export type SlackUserId = string;

export const taskRef = (id: string): EntityRef => ({ kind: 'task', id });
export const jobRef = (id: string): EntityRef => ({ kind: 'bluegreen', id });
