// The survey builder (notices console): "add a question" reveals the next hidden question row.
document.addEventListener("click", (ev) => {
  const btn = ev.target.closest("[data-testid=add-question]");
  if (!btn) return;
  const row = btn.form.querySelector(".survey-row[hidden]");
  if (row) row.hidden = false;
  if (!btn.form.querySelector(".survey-row[hidden]")) btn.disabled = true;
});
