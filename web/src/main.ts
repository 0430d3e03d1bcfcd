// The chatd web app: one ChatClient (the SDK) for the page, its session kept in localStorage so a
// reload stays signed in, and the view each route asks for.
import { ChatClient, localStorageTokenStore } from "../../clients/js/src";
import { replace } from "./dom";
import { navigate, type Route, start } from "./router";
import { forgotView, loginView, resetView, signupView, verifyView } from "./views/auth";
import { ChatView } from "./views/chat";

const root = document.getElementById("app")!;
const client = new ChatClient({ baseUrl: location.origin, store: localStorageTokenStore() });
let chat: ChatView | null = null;
let notice = "";

client.onSessionEnd((reason) => {
  notice = reason === "logged_out" ? "" : "Your session ended. Log in again.";
  navigate("/login", { replace: true });
});

function render(route: Route) {
  if (route.name === "verify") return show(verifyView(client, route.token));
  if (route.name === "reset") return show(resetView(client, route.token));
  if (!client.signedIn) {
    if (route.name === "signup") return show(signupView(client));
    if (route.name === "forgot") return show(forgotView(client));
    if (route.name !== "login") return navigate("/login", { replace: true });
    const view = loginView(client, notice);
    notice = "";
    return show(view);
  }
  if (route.name !== "home" && route.name !== "room") return navigate("/", { replace: true });
  if (!chat) {
    chat = new ChatView(client);
    show(chat.element, false);
  }
  document.title = "chatd";
  void (route.name === "room" ? chat.open(route.roomId, route.messageId) : chat.open(null));
}

function show(view: HTMLElement, endChat = true) {
  if (endChat && chat) {
    chat.dispose();
    chat = null;
  }
  replace(root, view);
  view.querySelector<HTMLElement>("input, textarea")?.focus();
}

start(render);
