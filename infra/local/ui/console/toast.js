// The console's one status line: confirmations for 3 s, errors for 6 s.
import { $ } from "../dom.js";

let timer;

/** Shows `text` (as text) in the toast; `error` colours it and keeps it longer. */
export function toast(text, error = false) {
  const t = $("toast");
  t.textContent = text;
  t.classList.toggle("error", error);
  t.classList.remove("hidden");
  clearTimeout(timer);
  timer = setTimeout(() => t.classList.add("hidden"), error ? 6000 : 3000);
}
