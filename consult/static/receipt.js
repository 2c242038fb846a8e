// "Print this receipt" (templates/comments/receipt.html): the button is shown only where
// this script runs; without it, the browser's own Print command prints the same page.
var printButton = document.getElementById("print-receipt");
if (printButton) {
  printButton.parentNode.hidden = false;
  printButton.addEventListener("click", function () { window.print(); });
}
