// Canned replies (templates/cases/_canned_replies.html): "Insert" puts a reply's text into
// the comment box at the cursor. Without this script the texts stay listed to copy.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("#answer textarea[name=body]");
  if (!box) return;
  for (const button of document.querySelectorAll("[data-insert-reply]")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      const text = document.getElementById(button.dataset.insertReply).textContent.trim();
      const start = box.selectionStart ?? box.value.length;
      box.setRangeText(text, start, box.selectionEnd ?? start, "end");
      box.dispatchEvent(new Event("input", { bubbles: true }));  // forms.js keeps the draft
      box.focus();
    });
  }
});
