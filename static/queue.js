// The queue's filters fold on a narrow screen (they stay open without JS, and when the
// page shows a filter's error).
document.querySelectorAll("details[data-fold-below]").forEach((details) => {
  const width = Number(details.dataset.foldBelow);
  if (window.innerWidth <= width && !details.querySelector(".has-error")) details.open = false;
});
