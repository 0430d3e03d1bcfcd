// Building DOM without innerHTML: every text goes in as text, so nothing a user typed can become markup.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** An element with attributes (`on<event>` functions become listeners; false/null are left out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children.flat());
  return element;
}

export function append(parent: Node, children: Child[]) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: Child[]) {
  parent.replaceChildren();
  append(parent, children);
}

let ids = 0;
/** An id for label/control pairs. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** A labelled input: the label is visible text, tied to the control by id. */
export function field(label: string, input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement) {
  input.id ||= uid("field");
  return h("div", { class: "field" }, h("label", { for: input.id }, label), input);
}

/** A form whose submit runs `action` with the button disabled, showing its failure in the form's alert. */
export function form(
  name: string,
  children: Child[],
  action: (form: HTMLFormElement) => Promise<void> | void,
): HTMLFormElement {
  const alert = h("p", { class: "alert", role: "alert" });
  const element = h("form", { "aria-label": name, novalidate: true }, ...children, alert);
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    const buttons = [...element.querySelectorAll("button")];
    for (const button of buttons) button.disabled = true;
    alert.textContent = "";
    try {
      await action(element);
    } catch (error) {
      alert.textContent = describe(error);
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  });
  return element;
}

/** A person-readable sentence for a failure (chatd's message, with each field's detail). */
export function describe(error: unknown): string {
  const e = error as { message?: string; details?: { field?: string; message?: string }[] };
  const details = (e.details ?? []).map((d) => `${d.field ?? ""}: ${d.message ?? ""}`).join("; ");
  if (error instanceof TypeError) return "Cannot reach the server. Check your connection and try again.";
  return [e.message ?? String(error), details].filter(Boolean).join(" — ");
}
