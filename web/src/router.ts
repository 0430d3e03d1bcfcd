// Client-side routes (the server answers every one of these paths with the same page): history
// navigation without reloads, and links marked data-link that navigate in place.

export type Route =
  | { name: "login" }
  | { name: "signup" }
  | { name: "forgot" }
  | { name: "verify"; token: string }
  | { name: "reset"; token: string }
  | { name: "home" }
  | { name: "room"; roomId: string; messageId?: string };

export function parse(location: Location): Route {
  const query = new URLSearchParams(location.search);
  const token = query.get("token") ?? "";
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const room = /^\/rooms\/([0-9a-f-]{36})$/i.exec(path);
  if (room) {
    // `?message=` (a search result's link): the room opens at that message.
    const message = query.get("message");
    return { name: "room", roomId: room[1]!, ...(message ? { messageId: message } : {}) };
  }
  switch (path) {
    case "/login":
      return { name: "login" };
    case "/signup":
      return { name: "signup" };
    case "/forgot-password":
      return { name: "forgot" };
    case "/verify-email":
      return { name: "verify", token };
    case "/reset-password":
      return { name: "reset", token };
    default:
      return { name: "home" };
  }
}

let listener: (route: Route) => void = () => undefined;

/** Calls `render` now and on every navigation. */
export function start(render: (route: Route) => void) {
  listener = render;
  window.addEventListener("popstate", () => listener(parse(location)));
  document.addEventListener("click", (event) => {
    const link = (event.target as Element | null)?.closest?.("a[data-link]") as HTMLAnchorElement | null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
    event.preventDefault();
    navigate(link.getAttribute("href") ?? "/");
  });
  listener(parse(location));
}

export function navigate(path: string, options: { replace?: boolean } = {}) {
  if (options.replace) history.replaceState(null, "", path);
  else if (path !== location.pathname + location.search) history.pushState(null, "", path);
  listener(parse(location));
}
