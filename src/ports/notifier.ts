/**
 * The notifier port: how operations and workers ask for Slack messages without knowing Slack.
 * Implemented by slack/notifier.ts (QueueNotifier: it only queues jobs, so a Slack outage never
 * blocks a release), wired in bootstrap.ts.
 */
import type { EntityRef } from '../domain/entity.js';

/** Where a card is in Slack: its channel and its message's ts. */
export interface CardPlace {
  channel: string;
  ts: string;
}

/** How soon a card edit should go out. */
export interface CardChange {
  /** A person's action: edit at once (still one edit per card per window), not after the window. */
  urgent?: boolean;
}

/** A file to share in a channel (audit exports). */
export type UploadRequest = Record<'channel' | 'user' | 'filename' | 'title' | 'content', string>;

export interface Notifier {
  /** Post the card of a newly created task or job. */
  cardCreated(ref: EntityRef): Promise<void>;
  /**
   * It changed: edit its card, at most once per card per CARD_COALESCE_MS. Worker progress waits
   * out the window so bursts of changes make one edit; `urgent` (a person's click or command)
   * edits now if the card was not edited within the window, so the card answers the click.
   */
  cardChanged(ref: EntityRef, opts?: CardChange): Promise<void>;
  /** It is gone: the card shows `text` without buttons, and `thread` is replied under it. */
  cardClosed(ref: EntityRef, channel: string, text: string, thread: string): Promise<void>;
  /** One reply in the card's thread. */
  thread(ref: EntityRef, text: string): Promise<void>;
  /** Where its card is, once posted (a click is checked against it); undefined before and after. */
  cardAt(ref: EntityRef): Promise<CardPlace | undefined>;
  /** Come back later for replies still waiting in the card's outbox. */
  resumeThread(ref: EntityRef): Promise<void>;
  /** A message only `user` sees, in `channel`. */
  ephemeral(channel: string, user: string, text: string): Promise<void>;
  /** Share a file in `channel` (files.uploadV2), mentioning `user`. */
  upload(file: UploadRequest): Promise<void>;
  /** `user` opened the bot's App Home tab: remember them (their Home follows the cards) and publish it. */
  homeOpened(user: string): Promise<void>;
  /** Publish `user`'s App Home again (deduplicated per user). */
  homeRefresh(user: string): Promise<void>;
  /** Finish a Workflow Builder step's execution: its outputs, or why it failed. Once per execution. */
  workflowStepDone(executionId: string, result: WorkflowStepResult): Promise<void>;
}

/** How a workflow step ends: `functions.completeSuccess` with outputs, or `completeError`. */
export type WorkflowStepResult = { outputs: Record<string, string> } | { error: string };
