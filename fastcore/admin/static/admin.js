// fastcore admin: optional enhancements (the pages work without them).
"use strict";

function selectAll() {
  const all = document.getElementById("select-all");
  if (!all) return;
  all.addEventListener("change", () => {
    for (const box of document.querySelectorAll("input[name=_selected]")) box.checked = all.checked;
  });
}

// A many-to-many select gets a box that hides the options not matching what is typed.
function filterableSelects() {
  for (const select of document.querySelectorAll("select.filterable")) {
    const box = document.createElement("input");
    box.type = "search";
    box.className = "select-filter";
    box.placeholder = "Filter";
    box.setAttribute("aria-label", "Filter the choices of " + (select.labels[0]?.textContent || select.name));
    box.addEventListener("input", () => {
      const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const option of select.options) {
        const text = option.textContent.toLowerCase();
        option.hidden = !option.selected && !words.every((word) => text.includes(word));
      }
    });
    select.before(box);
  }
}

// A foreign key (or many-to-many keys) typed as text gets search-as-you-type: the key box
// stays the value sent.
function lookups() {
  for (const input of document.querySelectorAll("input.lookup[data-lookup-url]")) {
    const wrapper = document.createElement("div");
    wrapper.className = "lookup-box";
    const search = document.createElement("input");
    search.type = "search";
    search.className = "lookup-search";
    search.placeholder = "Search";
    search.setAttribute("role", "combobox");
    search.setAttribute("aria-expanded", "false");
    search.setAttribute("aria-autocomplete", "list");
    search.setAttribute("aria-label", "Search " + (input.labels[0]?.textContent || input.name));
    const list = document.createElement("ul");
    list.className = "lookup-results";
    list.id = input.id + "_results";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    search.setAttribute("aria-controls", list.id);
    wrapper.append(search, list);
    input.before(wrapper);
    let label = input.parentElement.querySelector("output.related-label");
    let timer = 0;
    let active = -1;
    const close = () => { list.hidden = true; search.setAttribute("aria-expanded", "false"); active = -1; };
    const multiple = input.dataset.lookupMultiple === "true";
    const pick = (item) => {
      if (!label) {
        label = document.createElement("output");
        label.className = "related-label";
        input.after(label);
      }
      if (multiple) {
        // A many-to-many field: the pick joins the comma-separated keys (once).
        const keys = input.value.split(/[\s,]+/).filter(Boolean);
        if (!keys.includes(item.dataset.id)) {
          input.value = [...keys, item.dataset.id].join(", ");
          label.textContent = label.textContent ? label.textContent + ", " + item.textContent : item.textContent;
        }
      } else {
        input.value = item.dataset.id;
        label.textContent = item.textContent;
      }
      search.value = "";
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    };
    const mark = (index) => {
      const items = list.querySelectorAll("li");
      active = Math.max(0, Math.min(index, items.length - 1));
      items.forEach((item, i) => item.setAttribute("aria-selected", String(i === active)));
    };
    let latest = 0;
    const load = async () => {
      const asked = ++latest;
      const url = input.dataset.lookupUrl + "&term=" + encodeURIComponent(search.value);
      const response = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } });
      if (asked !== latest) return;  // an older answer, arriving after a newer question
      if (!response.ok) { close(); return; }
      const data = await response.json();
      if (asked !== latest) return;
      list.replaceChildren(...data.results.map((result, i) => {
        const item = document.createElement("li");
        item.setAttribute("role", "option");
        item.id = list.id + "_" + i;
        item.dataset.id = result.id;
        item.textContent = result.text;
        item.addEventListener("mousedown", (event) => { event.preventDefault(); pick(item); });
        return item;
      }));
      list.hidden = data.results.length === 0;
      search.setAttribute("aria-expanded", String(!list.hidden));
      active = -1;
    };
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 200); });
    search.addEventListener("focus", () => { if (!list.children.length) load(); });
    search.addEventListener("blur", close);
    search.addEventListener("keydown", (event) => {
      const items = list.querySelectorAll("li");
      if (event.key === "ArrowDown") { event.preventDefault(); list.hidden = false; mark(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); mark(active - 1); }
      else if (event.key === "Enter" && active >= 0 && items[active]) { event.preventDefault(); pick(items[active]); }
      else if (event.key === "Escape") close();
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  selectAll();
  filterableSelects();
  lookups();
});
