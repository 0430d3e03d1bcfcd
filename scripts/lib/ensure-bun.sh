# Sourced by the project's scripts: puts the Bun version pinned in package.json ("packageManager") on
# PATH, installing it from the npm registry when missing, then installs the locked dependencies.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
want="$(sed -n 's/.*"packageManager": *"bun@\([^"]*\)".*/\1/p' "$root/package.json")"
if [ -z "$want" ]; then
  echo "package.json does not pin Bun in packageManager" >&2
  exit 1
fi
if [ "$(bun --version 2>/dev/null)" != "$want" ]; then
  # A project-local install when the global one is not writable or holds another version.
  tools="$root/.tools"
  export PATH="$tools/node_modules/.bin:$PATH"
  if [ "$(bun --version 2>/dev/null)" != "$want" ]; then
    echo "installing bun@$want from the npm registry" >&2
    npm install --no-save --no-package-lock --prefix "$tools" "bun@$want" >&2
    hash -r
  fi
  if [ "$(bun --version 2>/dev/null)" != "$want" ]; then
    echo "bun $want is not runnable after install (got: $(bun --version 2>&1))" >&2
    exit 1
  fi
fi
if [ ! -d "$root/node_modules" ] || [ "$root/bun.lock" -nt "$root/node_modules" ]; then
  (cd "$root" && bun install --frozen-lockfile >&2 && touch node_modules)
fi
