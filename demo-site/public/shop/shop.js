// Northwind Outfitters' own shop code (the advertiser's site, not perfpixel): catalog, basket,
// checkout and the thank-you page. The only perfpixel call is pp('conversion', …) on the thank-you
// page; the shop's server confirms the same order server-to-server, and the collector merges the two.
(function () {
  'use strict';
  var BASKET = 'northwind.basket';
  var ORDER = 'northwind.lastOrder';
  var page = document.body.getAttribute('data-page');

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined && c !== false) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  /** "€189.00" from cents, with integer arithmetic only. */
  function euros(cents) {
    return '€' + Math.floor(cents / 100).toLocaleString('en-GB') + '.' + String(cents % 100).padStart(2, '0');
  }

  function read(key, fallback) {
    try {
      var v = JSON.parse(localStorage.getItem(key) || 'null');
      return v === null ? fallback : v;
    } catch (e) {
      return fallback;
    }
  }
  function write(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode: the basket lasts this page */ }
  }
  function basket() { return read(BASKET, []); }
  function setBasket(items) {
    write(BASKET, items.filter(function (i) { return i.qty > 0; }));
    updateCount();
  }
  function addToBasket(id, qty) {
    var items = basket();
    var line = items.filter(function (i) { return i.id === id; })[0];
    if (line) line.qty = Math.min(99, line.qty + qty);
    else items.push({ id: id, qty: qty });
    setBasket(items);
  }
  function updateCount() {
    var n = basket().reduce(function (s, i) { return s + i.qty; }, 0);
    var c = document.querySelector('[data-testid=basket-count]');
    if (c) {
      c.textContent = String(n);
      c.hidden = n === 0;
    }
  }

  /** A product picture: drawn, so the demo carries no image files. */
  var SHAPES = {
    'harbor-parka': 'M70 40 Q100 22 130 40 L160 58 L176 150 L154 156 L148 104 L148 196 L52 196 L52 104 L46 156 L24 150 L40 58 Z M86 38 Q100 54 114 38',
    'tram-jacket': 'M70 46 Q100 34 130 46 L162 62 L176 146 L154 150 L148 108 L148 176 L52 176 L52 108 L46 150 L24 146 L38 62 Z',
    'fjell-fleece': 'M72 46 L86 40 Q100 52 114 40 L128 46 L160 62 L174 146 L152 150 L146 108 L146 174 L54 174 L54 108 L48 150 L26 146 L40 62 Z',
    'wool-beanie': 'M46 150 Q46 70 100 64 Q154 70 154 150 Z M40 146 H160 V176 H40 Z M92 56 A10 10 0 1 1 108 56 A10 10 0 1 1 92 56',
  };
  function picture(p, big) {
    var color = /^#[0-9a-f]{6}$/i.test(p.color) ? p.color : '#27476e';
    var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 200 220');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', p.name);
    svg.setAttribute('class', big ? 'picture big' : 'picture');
    var path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', SHAPES[p.id] || SHAPES['tram-jacket']);
    path.setAttribute('fill', color);
    path.setAttribute('fill-rule', 'evenodd');
    var zip = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    var hem = { 'harbor-parka': 194, 'tram-jacket': 174, 'fjell-fleece': 172 }[p.id] || 172;
    zip.setAttribute('d', p.id === 'wool-beanie' ? 'M40 158 H160 M40 166 H160' : 'M100 50 V' + hem);
    zip.setAttribute('stroke', 'rgba(255,255,255,0.35)');
    zip.setAttribute('stroke-width', '3');
    svg.appendChild(path);
    svg.appendChild(zip);
    var wrap = el('div', { class: 'picture-wrap', style: '--tint:' + color + '1a' });
    wrap.appendChild(svg);
    return wrap;
  }

  var catalog = null;
  function loadCatalog() {
    catalog = catalog || fetch('/demo/products.json').then(function (r) {
      if (!r.ok) throw new Error('catalog ' + r.status);
      return r.json();
    });
    return catalog;
  }
  function byId(products, id) { return products.filter(function (p) { return p.id === id; })[0]; }
  function problem(where, text) { where.replaceChildren(el('p', { class: 'notice error', role: 'alert' }, [text])); }

  // ---------------------------------------------------------------- home: the product grid
  function home() {
    var grid = document.getElementById('products');
    loadCatalog().then(function (products) {
      grid.replaceChildren.apply(grid, products.map(function (p) {
        var href = 'product.html?id=' + encodeURIComponent(p.id);
        var added = el('span', { class: 'added', role: 'status' });
        return el('article', { class: 'product-card', 'data-testid': 'product-card', 'data-product-id': p.id }, [
          el('a', { href: href, class: 'card-picture', 'aria-hidden': 'true', tabindex: '-1' }, [picture(p)]),
          el('h3', {}, [el('a', { href: href }, [p.name])]),
          el('p', { class: 'blurb' }, [p.blurb]),
          el('div', { class: 'buy-row' }, [
            el('span', { class: 'price' }, [euros(p.priceCents)]),
            el('button', {
              type: 'button', class: 'btn small', 'data-testid': 'add-to-basket',
              onclick: function () { addToBasket(p.id, 1); added.textContent = 'Added ✓'; setTimeout(function () { added.textContent = ''; }, 1800); },
            }, ['Add to basket']),
          ]),
          added,
        ]);
      }));
    }, function () { problem(grid, 'The catalog could not be loaded. Is the demo server running?'); });
  }

  // ---------------------------------------------------------------- one product
  function product() {
    var main = document.getElementById('product');
    var id = new URLSearchParams(location.search).get('id');
    loadCatalog().then(function (products) {
      var p = byId(products, id) || products[0];
      document.title = p.name + ' — Northwind Outfitters';
      var qty = el('select', { id: 'qty', 'data-testid': 'qty' }, [1, 2, 3, 4, 5].map(function (n) { return el('option', { value: String(n) }, [String(n)]); }));
      var status = el('p', { class: 'added-line', role: 'status' });
      main.replaceChildren(
        el('div', { class: 'product-page' }, [
          picture(p, true),
          el('div', { class: 'product-info' }, [
            el('p', { class: 'eyebrow' }, ['Winter collection']),
            el('h1', {}, [p.name]),
            el('p', { class: 'price big' }, [euros(p.priceCents)]),
            el('p', { class: 'lead' }, [p.blurb]),
            el('ul', { class: 'perks' }, [el('li', {}, ['Free returns for 60 days']), el('li', {}, ['2-year warranty, repairs for life']), el('li', {}, ['Ships in 1–2 working days'])]),
            el('div', { class: 'buy-box' }, [
              el('label', { for: 'qty' }, ['Quantity']), qty,
              el('button', {
                type: 'button', class: 'btn', 'data-testid': 'add-to-basket',
                onclick: function () {
                  addToBasket(p.id, Number(qty.value));
                  status.replaceChildren('Added to your basket. ', el('a', { href: 'basket.html', 'data-testid': 'go-to-basket' }, ['View basket →']));
                },
              }, ['Add to basket']),
            ]),
            status,
          ]),
        ]),
      );
    }, function () { problem(main, 'The product could not be loaded.'); });
  }

  // ---------------------------------------------------------------- basket and checkout
  function basketPage() {
    var main = document.getElementById('basket');
    loadCatalog().then(function (products) {
      function render() {
        var items = basket().filter(function (i) { return byId(products, i.id); });
        if (items.length === 0) {
          main.replaceChildren(el('div', { class: 'empty', 'data-testid': 'basket-empty' }, [
            el('h1', {}, ['Your basket is empty']),
            el('p', {}, ['Warm things are one click away.']),
            el('a', { class: 'btn', href: './' }, ['Browse the collection']),
          ]));
          return;
        }
        var total = 0;
        var lines = items.map(function (i) {
          var p = byId(products, i.id);
          total += p.priceCents * i.qty;
          function change(d) { return function () { setBasket(basket().map(function (x) { return x.id === i.id ? { id: x.id, qty: Math.max(0, Math.min(99, x.qty + d)) } : x; })); render(); }; }
          return el('li', { class: 'line', 'data-testid': 'basket-line', 'data-product-id': p.id }, [
            picture(p),
            el('div', { class: 'line-info' }, [el('h3', {}, [p.name]), el('p', { class: 'muted' }, [euros(p.priceCents) + ' each'])]),
            el('div', { class: 'stepper', role: 'group', 'aria-label': 'Quantity of ' + p.name }, [
              el('button', { type: 'button', 'aria-label': 'One less', onclick: change(-1) }, ['−']),
              el('output', { 'aria-live': 'polite' }, [String(i.qty)]),
              el('button', { type: 'button', 'aria-label': 'One more', onclick: change(1) }, ['+']),
            ]),
            el('p', { class: 'line-total' }, [euros(p.priceCents * i.qty)]),
          ]);
        });
        var error = el('p', { class: 'notice error', role: 'alert', hidden: true });
        var button = el('button', { type: 'submit', class: 'btn wide', 'data-testid': 'place-order' }, ['Place order · ' + euros(total)]);
        var form = el('form', { class: 'checkout', 'aria-labelledby': 'summary-title' }, [
          el('h2', { id: 'summary-title' }, ['Order summary']),
          el('dl', {}, [
            el('dt', {}, ['Subtotal']), el('dd', {}, [euros(total)]),
            el('dt', {}, ['Shipping']), el('dd', {}, ['Free']),
            el('dt', { class: 'total' }, ['Total']), el('dd', { class: 'total', 'data-testid': 'basket-total' }, [euros(total)]),
          ]),
          button,
          el('p', { class: 'muted small' }, ['Demo shop: no payment is taken. Our server prices the order from the catalog and confirms it to perfpixel, signed.']),
          error,
        ]);
        form.addEventListener('submit', function (ev) {
          ev.preventDefault();
          button.disabled = true;
          button.textContent = 'Placing your order…';
          error.hidden = true;
          fetch('/shop/api/orders', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ items: basket().map(function (i) { return { id: i.id, qty: i.qty }; }) }),
          })
            .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw new Error(b.reason || 'the order failed'); return b; }); })
            .then(function (order) {
              write(ORDER, { orderId: order.orderId, total: order.total, currency: order.currency, confirmed: order.confirmed, conversionId: order.conversionId || null, items: basket(), tracked: false });
              setBasket([]);
              location.href = 'thanks.html?order=' + encodeURIComponent(order.orderId);
            })
            .catch(function (e) {
              error.textContent = 'Your order could not be placed: ' + e.message + '. Please try again.';
              error.hidden = false;
              button.disabled = false;
              button.textContent = 'Place order · ' + euros(total);
            });
        });
        main.replaceChildren(el('h1', {}, ['Your basket']), el('div', { class: 'basket-layout' }, [el('ul', { class: 'lines' }, lines), form]));
      }
      render();
    }, function () { problem(main, 'The basket could not be loaded.'); });
  }

  // ---------------------------------------------------------------- thank-you page: the conversion
  function thanks() {
    var main = document.getElementById('thanks');
    var order = read(ORDER, null);
    var wanted = new URLSearchParams(location.search).get('order');
    if (!order || (wanted && wanted !== order.orderId)) {
      main.replaceChildren(el('div', { class: 'empty' }, [el('h1', {}, ['No recent order']), el('p', {}, ['Orders placed in this browser show up here.']), el('a', { class: 'btn', href: './' }, ['Back to the shop'])]));
      return;
    }
    // Report the purchase once per order: a reload of this page must not send it again (the collector
    // would merge it anyway, by order ID, but a clean shop does not rely on that).
    if (!order.tracked) {
      window.pp('conversion', { action: 'purchase', value: order.total, currency: order.currency, orderId: order.orderId });
      order.tracked = true;
      write(ORDER, order);
    }
    // Straight to this order's conversion: by its ID when the shop's server confirmed it, else the
    // conversions list filtered by this order ID (the browser's conversion may not be stored yet).
    var dash = location.protocol + '//' + (location.hostname === '127.0.0.1' ? 'localhost' : location.hostname) + (location.port ? ':' + location.port : '') + '/dashboard/' +
      (order.conversionId ? '#conversion/' + encodeURIComponent(order.conversionId) : '#conversions?orderId=' + encodeURIComponent(order.orderId));
    main.replaceChildren(
      el('div', { class: 'thanks-card' }, [
        el('div', { class: 'tick', 'aria-hidden': 'true' }, ['✓']),
        el('h1', {}, ['Thank you — your order is on its way']),
        el('p', { class: 'lead' }, [
          'Order ', el('strong', { 'data-testid': 'order-id', 'data-order-id': order.orderId, 'data-conversion': 'sent' }, [order.orderId]),
          ' · total ', el('strong', { 'data-testid': 'order-total' }, ['€' + order.total]),
        ]),
        el('p', { class: 'muted' }, ['We will e-mail you when it ships. Returns are free for 60 days.']),
        el('a', { class: 'btn secondary', href: './' }, ['Keep shopping']),
      ]),
      el('aside', { class: 'demo-explain', 'aria-label': 'What perfpixel just did' }, [
        el('h2', {}, ['What just happened (perfpixel demo)']),
        el('ol', {}, [
          el('li', {}, ['This page called ', el('code', {}, ["pp('conversion', { action: 'purchase', value: '" + order.total + "', currency: 'EUR', orderId: '" + order.orderId + "' })"]), '. The tag sent it at once, with the click ID it kept from your ad click (if you came from one).']),
          el('li', {}, [order.confirmed ? 'The shop’s server confirmed the same order server-to-server, signed with its secret. The collector merged the two into one conversion — never counted twice.' : 'The shop’s server could not confirm the order server-to-server; the browser’s conversion still counts.']),
          el('li', {}, ['The collector attributed it to the winning ad, priced it, and posted the charge to the ledger.']),
        ]),
        el('a', { class: 'btn', href: dash, 'data-testid': 'see-in-dashboard' }, ['See it explained in the dashboard →']),
      ]),
    );
  }

  updateCount();
  if (page === 'home') home();
  else if (page === 'product') product();
  else if (page === 'basket') basketPage();
  else if (page === 'thanks') thanks();
})();
