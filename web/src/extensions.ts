// Where features plug into the app without the views knowing them: search adds a header tool,
// attachments a composer tool and what a message shows of its files. An extension is registered
// here once; each hook returns nodes (or nothing) for its slot.
import type { ChatClient, Message, SendOptions } from "../../clients/js/src";
import { attachmentsExtension } from "./features/attachments";
import { searchExtension } from "./features/search";

export type HeaderContext = {
  client: ChatClient;
  /** Opens a room, scrolled to one of its messages when given. */
  openRoom(roomId: string, messageId?: string): void;
  /** The name the sidebar shows for a room (a DM: the other user), when the user is in it. */
  roomTitle(roomId: string): string | undefined;
};

export type ComposerContext = { roomId: string; client: ChatClient };

/** What goes with a message besides its text. */
export type ComposerExtra = Pick<SendOptions, "attachmentIds"> & {
  /** Text to send when the user typed none (a message's content cannot be empty). */
  fallbackContent?: string;
};

export type ComposerTool = {
  nodes: Node[];
  /** Why the message cannot go yet (e.g. an upload still running), or null when it can. */
  blocked(): string | null;
  /** Whether it has something to send even without text (e.g. ready files). */
  holds(): boolean;
  /** What goes with the message being sent; the tool then starts afresh. */
  take(): ComposerExtra;
};

export type ChatExtension = {
  /** Tools in the chat header (e.g. a search box whose results open a room at a message). */
  header?(context: HeaderContext): Node[];
  /** A tool of the message composer (e.g. "Attach file"). */
  composer?(context: ComposerContext): ComposerTool;
  /** What a message shows below its text (e.g. its attachments). */
  message?(message: Message, client: ChatClient): Node[];
};

export const extensions: ChatExtension[] = [searchExtension, attachmentsExtension];
