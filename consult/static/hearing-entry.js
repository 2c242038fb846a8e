// Fast hearing entry: Ctrl+Enter (or Cmd+Enter) in the comment saves, as Enter does in
// the other fields. Without this script the Save button still works.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) &&
      target.tagName === "TEXTAREA" && target.form) {
    event.preventDefault();
    if (target.form.requestSubmit) { target.form.requestSubmit(); } else { target.form.submit(); }
  }
});
