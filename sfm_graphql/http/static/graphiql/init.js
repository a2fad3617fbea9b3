// Boots the self-hosted GraphiQL page. Kept in a file of its own, not inline,
// so the page works under a Content-Security-Policy of `script-src 'self'`.
// Configuration comes from data attributes on #graphiql (see graphiql.py).
(function () {
  "use strict";

  var root = document.getElementById("graphiql");
  var endpoint = root.dataset.endpoint || "/graphql";
  var defaultQuery = root.dataset.defaultQuery || "";

  // Same-origin GraphQL endpoint only: the fetcher POSTs JSON to it.
  var url = new URL(endpoint, window.location.href);
  if (url.origin !== window.location.origin) {
    root.textContent = "GraphiQL: endpoint must be on this origin.";
    return;
  }

  // Forward a CSRF cookie when one is set (as Strawberry's own page does).
  var headers = {};
  var csrfToken = window.Cookies ? window.Cookies.get("csrftoken") : undefined;
  if (csrfToken) {
    headers["x-csrftoken"] = csrfToken;
  }

  // createGraphiQLFetcher from @graphiql/toolkit, exposed on the UMD global.
  // No subscriptionUrl: queries and mutations are plain JSON POSTs.
  var fetcher = GraphiQL.createFetcher({ url: url.href, headers: headers });

  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      plugins: [explorer],
      // Header editor on and open, so `Authorization: Bearer ...` can be pasted.
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: "headers",
      // Do not keep tokens in localStorage.
      shouldPersistHeaders: false,
    })
  );
})();
