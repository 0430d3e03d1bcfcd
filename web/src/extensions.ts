// Where features the server grows plug into the app without touching the views: search (issue 11)
// adds a header tool, attachments (issue 12) a composer tool and what a message shows of its files.
// An extension is registered here once; each hook returns nodes (or nothing) for its slot.
import type { ChatClient, Message } from "../../clients/js/src";

export type ComposerContext = {
  roomId: string;
  client: ChatClient;
  send(content: string, extra?: Record<string, unknown>): void;
};

export type ChatExtension = {
  /** Tools in the chat header (e.g. a search box that opens results in the room pane). */
  header?(client: ChatClient, openRoom: (roomId: string) => void): Node[];
  /** Tools next to the message composer (e.g. "Attach file"). */
  composer?(context: ComposerContext): Node[];
  /** What a message shows below its text (e.g. its attachments). */
  message?(message: Message, client: ChatClient): Node[];
};

export const extensions: ChatExtension[] = [];
