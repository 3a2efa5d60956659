// Similar items on the product page, from the recommender API. Text via textContent.
(function () {
  "use strict";
  var product = document.getElementById("product");
  var list = document.getElementById("similar");
  if (!product || !list) return;
  var id = product.getAttribute("data-product-id");
  function message(text) {
    list.replaceChildren();
    var li = document.createElement("li");
    li.className = "muted";
    li.textContent = text;
    list.appendChild(li);
  }
  fetch("/api/v1/products/" + encodeURIComponent(id) + "/similar?k=8", {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  })
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(function (body) {
      var items = (body && body.items) || [];
      if (!items.length) return message("No similar items yet.");
      list.replaceChildren();
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "card";
        var a = document.createElement("a");
        a.href = "/products/" + encodeURIComponent(item.product_id) + "/";
        a.textContent = item.description || item.stock_code;
        var why = document.createElement("small");
        why.textContent = item.reason || "";
        li.append(a, why);
        list.appendChild(li);
      });
    })
    .catch(function () { message("Similar items are not available right now."); });
})();
