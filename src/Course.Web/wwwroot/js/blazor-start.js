// Starts Blazor from a file of the site's own, because the Content-Security-Policy runs no inline script. The
// browser's SignalR client closes its circuit when the server has been silent for serverTimeout (30 s by
// default); on a starved machine the server's keep-alives come late, so the browser waits as long as the server
// does for the browser (App.razor passes CircuitKeepAlive.Wait in data-server-timeout-ms).
const serverTimeout = Number(document.currentScript.dataset.serverTimeoutMs);
Blazor.start({
    circuit: {
        configureSignalR: builder => builder.withServerTimeout(serverTimeout),
    },
});
