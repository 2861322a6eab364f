// fastcore admin: optional enhancements (the pages work without them).
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", () => {
      for (const box of document.querySelectorAll("input[name=_selected]")) box.checked = all.checked;
    });
  }
});
