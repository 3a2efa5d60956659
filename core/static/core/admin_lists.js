'use strict';
// Long texts in admin lists (product descriptions, file names, messages) are cut to
// one line with an ellipsis; the full text is the cell's tooltip (title).
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('#result_list tbody td, #result_list tbody th').forEach(function (cell) {
    if (cell.querySelector('input, select, textarea, svg, table, img')) return;
    const text = cell.textContent.replace(/\s+/g, ' ').trim();
    if (text.length > 32) {
      cell.classList.add('clip');
      if (!cell.title) cell.title = text;
    }
  });
});
