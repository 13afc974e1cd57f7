// The series picker: a search box over every series and a list of the first LIMIT matches. Only the matches are
// in the DOM, so 10,000 series cost one string scan per keystroke, not 10,000 <option> elements.

export const LIMIT = 50;

/** "SKU · warehouse", how a series reads in the box and the list. */
export const seriesLabel = (s) => `${s.sku} · ${s.warehouse_id}`;

/**
 * Series matching every word of `query` (in SKU or warehouse, any case), within `warehouse` when given: exact SKU
 * first, then SKU prefix, then the rest, each in the API's order. Returns the first `limit` and the total.
 */
export function matchSeries(series, query, warehouse, limit = LIMIT) {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  const first = terms[0] ?? "";
  const ranked = [[], [], []];
  for (const s of series) {
    if (warehouse && s.warehouse_id !== warehouse) continue;
    const sku = s.sku.toLowerCase();
    const text = `${sku} ${s.warehouse_id.toLowerCase()}`;
    if (!terms.every((t) => text.includes(t))) continue;
    ranked[sku === first ? 0 : first && sku.startsWith(first) ? 1 : 2].push(s);
  }
  const all = ranked.flat();
  return { matches: all.slice(0, limit), total: all.length };
}

/**
 * Wires the box and list. `options()` gives the series and warehouse filter to search; `onPick(series)` is called
 * with the chosen one. Keyboard: ↓/↑ move, Enter picks, Escape closes.
 */
export function createPicker({ input, list, options, onPick }) {
  let shown = [];
  let active = -1;
  let current = null;

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };

  const highlight = (i) => {
    active = i;
    [...list.querySelectorAll("[role=option]")].forEach((li, k) => {
      li.setAttribute("aria-selected", String(k === i));
      if (k === i) {
        input.setAttribute("aria-activedescendant", li.id);
        li.scrollIntoView({ block: "nearest" });
      }
    });
  };

  const open = () => {
    const { series, warehouse } = options();
    // The box shows the chosen series' label until the planner types: list everything in scope then.
    const query = current && input.value === seriesLabel(current) ? "" : input.value;
    const { matches, total } = matchSeries(series, query, warehouse);
    shown = matches;
    const items = matches.map((s, i) => {
      const li = document.createElement("li");
      li.id = `series-option-${i}`;
      li.setAttribute("role", "option");
      li.dataset.warehouse = s.warehouse_id;
      li.dataset.sku = s.sku;
      li.textContent = seriesLabel(s);
      // mousedown, not click: it comes before the box's blur closes the list.
      li.addEventListener("mousedown", (e) => {
        e.preventDefault();
        pick(s);
      });
      return li;
    });
    const more = document.createElement("li");
    more.className = "more";
    more.setAttribute("role", "presentation");
    more.textContent =
      total === 0
        ? "No series matches."
        : total > matches.length
          ? `${total.toLocaleString("en-US")} match: showing ${matches.length}, type to narrow.`
          : `${total} match.`;
    list.replaceChildren(...items, more);
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(matches.length ? 0 : -1);
  };

  const pick = (s) => {
    close();
    set(s);
    onPick(s);
  };

  /** Shows `s` as the chosen series without calling onPick (the page selected it). */
  const set = (s) => {
    current = s;
    input.value = s ? seriesLabel(s) : "";
  };

  input.addEventListener("focus", () => {
    input.select();
    open();
  });
  input.addEventListener("input", open);
  input.addEventListener("blur", () => {
    close();
    set(current);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (list.hidden) open();
      const step = e.key === "ArrowDown" ? 1 : -1;
      if (shown.length) highlight((active + step + shown.length) % shown.length);
      e.preventDefault();
    } else if (e.key === "Enter") {
      if (!list.hidden && shown[active]) pick(shown[active]);
      e.preventDefault();
    } else if (e.key === "Escape") {
      close();
      set(current);
    }
  });
  return { set };
}
