// The demo runs two sites on one port: the publisher, dashboard and collector on "localhost", the
// advertiser's shop on "127.0.0.1" (another site, so its cookies really are its own). Links marked
// data-site-link="shop" or "main" are pointed at the right one, whatever port the demo runs on.
(function () {
  var l = location;
  var port = l.port ? ':' + l.port : '';
  var local = l.hostname === 'localhost' || l.hostname === '127.0.0.1';
  var origins = {
    main: l.protocol + '//' + (local ? 'localhost' : l.hostname) + port,
    shop: l.protocol + '//' + (local ? '127.0.0.1' : l.hostname) + port,
  };
  var links = document.querySelectorAll('a[data-site-link]');
  for (var i = 0; i < links.length; i++) {
    var a = links[i];
    var origin = origins[a.getAttribute('data-site-link')];
    if (origin) a.href = origin + a.getAttribute('href');
  }
})();
