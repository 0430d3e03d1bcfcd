// The signed-out pages: sign up, log in, forgot password, and the two pages mails link to
// (/verify-email and /reset-password, with the mail's token in the query).
import type { ChatClient } from "../../../clients/js/src";
import { field, form, h } from "../dom";
import { navigate } from "../router";

const input = (type: string, autocomplete: string, extra: Record<string, string> = {}) =>
  h("input", { type, autocomplete, required: true, ...extra });

const page = (title: string, ...children: (Node | string)[]) =>
  h("main", { class: "auth" }, h("h1", {}, "chatd"), h("section", { class: "card" }, h("h2", {}, title), ...children));

const link = (href: string, text: string) => h("a", { href, "data-link": "" }, text);

export function loginView(client: ChatClient, notice = "") {
  const login = input("text", "username");
  const password = input("password", "current-password");
  return page(
    "Log in",
    notice ? h("p", { class: "notice", role: "status" }, notice) : "",
    form(
      "Log in",
      [field("Username or email", login), field("Password", password), h("button", {}, "Log in")],
      async () => {
        await client.login(login.value.trim(), password.value);
        navigate("/", { replace: true });
      },
    ),
    h("p", {}, "New here? ", link("/signup", "Create an account"), " · ", link("/forgot-password", "Forgot password?")),
  );
}

export function signupView(client: ChatClient) {
  const username = input("text", "username", { minlength: "3", maxlength: "32" });
  const email = input("email", "email");
  const password = input("password", "new-password", { minlength: "8" });
  const done = h("div", { role: "status" });
  const signup = form(
    "Sign up",
    [field("Username", username), field("Email", email), field("Password", password), h("button", {}, "Sign up")],
    async () => {
      await client.api.auth.signup({
        username: username.value.trim(),
        email: email.value.trim(),
        password: password.value,
      });
      signup.hidden = true;
      done.replaceChildren(
        h("p", {}, `Account created. We sent a verification link to ${email.value.trim()}.`),
        h("p", {}, link("/login", "Continue to log in")),
      );
    },
  );
  return page("Sign up", signup, done, h("p", {}, "Have an account? ", link("/login", "Log in")));
}

export function forgotView(client: ChatClient) {
  const email = input("email", "email");
  const done = h("p", { role: "status" });
  return page(
    "Forgot password",
    form("Forgot password", [field("Email", email), h("button", {}, "Send reset link")], async () => {
      await client.api.auth.forgotPassword(email.value.trim());
      done.textContent = "If that address has an account, a reset link is on its way.";
    }),
    done,
    h("p", {}, link("/login", "Back to log in")),
  );
}

/** /verify-email?token=…: verifies at once, and says how it went. */
export function verifyView(client: ChatClient, token: string) {
  const status = h("p", { role: "status" }, "Verifying your email…");
  const next = h("p", {});
  client.api.auth.verifyEmail(token).then(
    ({ user }) => {
      status.textContent = `Your email ${user.email} is verified.`;
      next.replaceChildren(link(client.signedIn ? "/" : "/login", client.signedIn ? "Go to your rooms" : "Log in"));
    },
    () => {
      status.textContent = "This verification link is invalid or has expired.";
      next.replaceChildren(link("/login", "Log in"));
    },
  );
  return page("Email verification", status, next);
}

/** /reset-password?token=…: a new password for the account the mail was sent to. */
export function resetView(client: ChatClient, token: string) {
  const password = input("password", "new-password", { minlength: "8" });
  const done = h("p", { role: "status" });
  const reset = form(
    "Reset password",
    [field("New password", password), h("button", {}, "Reset password")],
    async () => {
      await client.api.auth.resetPassword(token, password.value);
      reset.hidden = true;
      done.replaceChildren("Your password was changed. ", link("/login", "Log in"));
    },
  );
  return page("Choose a new password", reset, done);
}
