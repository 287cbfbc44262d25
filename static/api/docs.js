"use strict";
// Swagger UI for /api/v1/, started from this file rather than an inline script (the site's
// Content-Security-Policy allows our own scripts only). The schema URL and the CSRF token come
// from the page; the token goes with every request that changes something, as Django's session
// authentication asks.
(function () {
  const root = document.getElementById("swagger-ui");
  const csrfToken = root.dataset.csrfToken;
  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    // No third-party validator badge: nothing leaves for another host.
    validatorUrl: null,
    requestInterceptor: function (request) {
      if (!["GET", "HEAD", "OPTIONS", undefined].includes(request.method) && csrfToken) {
        request.headers["X-CSRFToken"] = csrfToken;
      }
      return request;
    },
  });
})();
