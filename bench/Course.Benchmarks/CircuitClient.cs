using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Course.Benchmarks;

/// <summary>
/// A Blazor Server circuit without a browser: what blazor.web.js does for one page, over a real SignalR WebSocket.
/// It loads the page (prerendered HTML with the interactive root components' markers), negotiates, speaks the
/// "blazorpack" hub protocol, starts the circuit (<c>StartCircuit</c>, then <c>UpdateRootComponents</c> with the
/// markers, as blazor.web.js does since .NET 8), acknowledges every render batch and answers every JavaScript call
/// the components make (a value of the expected shape; the site's calls need nothing back), and pings so the server
/// keeps it. A browser page costs a 2-core machine more than the site's work for it; this costs almost nothing, so
/// hundreds of circuits can be held open against one site. It can click an element found by its <c>data-testid</c>
/// in the render batches and wait for strings to appear in a later batch.
/// </summary>
internal sealed partial class CircuitClient : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';

    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource<string> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _interactive = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, Dictionary<string, ulong>> _handlersByTestId = [];
    private readonly List<(IReadOnlyList<string> Texts, TaskCompletionSource Seen)> _awaited = [];
    private Task _receiving = Task.CompletedTask;
    private Task _pinging = Task.CompletedTask;
    private long _rendererObjectId;
    private long _nextCallId;
    private TaskCompletionSource _batchRead = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Why the server ended the circuit (JS.Error, a close message, the socket closing), or null while it lives.</summary>
    public string? Failure { get; private set; }

    /// <summary>The circuit's secret id, which <c>/_blazor/disconnect</c> takes to end it at once.</summary>
    public string CircuitId { get; private set; } = "";

    /// <summary>Opens <paramref name="path"/> and starts its circuit; returns when the first render batch is acknowledged.</summary>
    public static async Task<CircuitClient> OpenAsync(HttpClient http, string path, string? cookies, CancellationToken cancel)
    {
        var client = new CircuitClient();
        try
        {
            await client.StartAsync(http, path, cookies, cancel);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync(HttpClient http, string path, string? cookies, CancellationToken cancel)
    {
        var page = new HttpRequestMessage(HttpMethod.Get, path);
        var negotiate = new HttpRequestMessage(HttpMethod.Post, "_blazor/negotiate?negotiateVersion=1");
        if (cookies is not null)
        {
            page.Headers.Add("Cookie", cookies);
            negotiate.Headers.Add("Cookie", cookies);
            _socket.Options.SetRequestHeader("Cookie", cookies);
        }
        using var pageResponse = (await http.SendAsync(page, cancel)).EnsureSuccessStatusCode();
        var html = await pageResponse.Content.ReadAsStringAsync(cancel);
        var markers = Marker().Matches(html).Select(m => JsonNode.Parse(m.Groups["json"].Value)!.AsObject())
            .Where(m => m["descriptor"] is not null).ToList();
        if (markers.Count == 0)
        {
            throw new InvalidOperationException($"{path} has no interactive server component (no Blazor marker with a descriptor)");
        }
        var state = ComponentState().Match(html) is { Success: true } s ? s.Groups["state"].Value : "";

        using var negotiated = (await http.SendAsync(negotiate, cancel)).EnsureSuccessStatusCode();
        var token = JsonDocument.Parse(await negotiated.Content.ReadAsStringAsync(cancel)).RootElement.GetProperty("connectionToken").GetString();
        var baseUri = http.BaseAddress!;
        await _socket.ConnectAsync(new Uri($"ws://{baseUri.Authority}/_blazor?id={token}"), cancel);
        await _socket.SendAsync(Encoding.UTF8.GetBytes($"{{\"protocol\":\"blazorpack\",\"version\":1}}{RecordSeparator}"), WebSocketMessageType.Text, true, cancel);
        var handshake = await ReceiveAsync(cancel);
        if (Encoding.UTF8.GetString(handshake).TrimEnd(RecordSeparator) is var answer && answer != "{}")
        {
            throw new InvalidOperationException($"SignalR handshake refused: {answer}");
        }
        _receiving = Task.Run(ReceiveLoopAsync);
        _pinging = Task.Run(PingLoopAsync);

        await SendAsync([1L, new Dictionary<string, object?>(), "0", "StartCircuit", new object?[] { baseUri.ToString(), new Uri(baseUri, path).ToString(), "[]", state }]);
        CircuitId = await _started.Task.WaitAsync(cancel);
        var operations = new JsonArray(markers.Select((marker, i) =>
        {
            marker["uniqueId"] = i;
            return (JsonNode)new JsonObject { ["type"] = "add", ["ssrComponentId"] = i + 1, ["marker"] = marker.DeepClone() };
        }).ToArray());
        var batch = new JsonObject { ["batchId"] = 1, ["operations"] = operations }.ToJsonString();
        await SendAsync([1L, new Dictionary<string, object?>(), null, "UpdateRootComponents", new object?[] { batch, state }]);
        await _interactive.Task.WaitAsync(cancel);
    }

    /// <summary>
    /// Clicks the first of the elements whose <c>data-testid</c> is one of <paramref name="testIds"/> as the renderer
    /// last drew them, once one has been drawn (a page's content may come in a later batch than its layout).
    /// </summary>
    public async Task ClickAsync(IReadOnlyList<string> testIds, CancellationToken cancel)
    {
        ulong handler = 0;
        while (handler == 0)
        {
            var nextBatch = _batchRead.Task;
            lock (_handlersByTestId)
            {
                handler = testIds.Select(id => _handlersByTestId.TryGetValue(id, out var events) ? events.GetValueOrDefault("onclick") : 0).FirstOrDefault(h => h != 0);
            }
            if (handler == 0)
            {
                await nextBatch.WaitAsync(cancel);
            }
        }
        var args = JsonSerializer.Serialize(new object?[]
        {
            new { eventHandlerId = handler, eventName = "click", eventFieldInfo = (object?)null },
            new { detail = 1, screenX = 0, screenY = 0, clientX = 0, clientY = 0, offsetX = 0, offsetY = 0, pageX = 0, pageY = 0,
                  movementX = 0, movementY = 0, button = 0, buttons = 0, ctrlKey = false, shiftKey = false, altKey = false, metaKey = false, type = "click" },
        });
        var callId = Interlocked.Increment(ref _nextCallId).ToString();
        await SendAsync([1L, new Dictionary<string, object?>(), null, "BeginInvokeDotNetFromJS", new object?[] { callId, null, "DispatchEventAsync", _rendererObjectId, args }]);
    }

    /// <summary>Completes when a render batch after this call contains one of <paramref name="texts"/> (an attribute value or text).</summary>
    public Task WaitForRenderedAsync(IReadOnlyList<string> texts, CancellationToken cancel)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_awaited) _awaited.Add((texts, seen));
        return seen.Task.WaitAsync(cancel);
    }

    /// <summary>
    /// Returns once no render batch has come for <paramref name="quiet"/>: the components' first renders and the
    /// renders after their JavaScript calls are done, as when a person's first click comes.
    /// </summary>
    public async Task SettleAsync(TimeSpan quiet, CancellationToken cancel)
    {
        while (true)
        {
            var nextBatch = _batchRead.Task;
            if (await Task.WhenAny(nextBatch, Task.Delay(quiet, cancel)) != nextBatch)
            {
                cancel.ThrowIfCancellationRequested();
                return;
            }
            await nextBatch; // throws if the circuit ended
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                var data = await ReceiveAsync(_closing.Token);
                if (data.Length == 0)
                {
                    Fail("the server closed the socket");
                    return;
                }
                foreach (var message in BlazorPack.Messages(data))
                {
                    await HandleAsync(message);
                }
            }
        }
        catch (Exception ex)
        {
            // Any failure here (the socket, or a message this client misreads) ends the circuit for the caller to see.
            if (!_closing.IsCancellationRequested)
            {
                Fail(ex is OperationCanceledException or WebSocketException ? ex.Message : ex.ToString());
            }
        }
    }

    private async Task HandleAsync(List<object?> message)
    {
        switch ((long)message[0]!)
        {
            case 1 when message[3] is "JS.RenderBatch" && message[4] is List<object?> render && render is [long batchId, byte[] batch]:
                Read(batch);
                await SendAsync([1L, new Dictionary<string, object?>(), null, "OnRenderCompleted", new object?[] { batchId, null }]);
                _interactive.TrySetResult();
                break;
            case 1 when message[3] is "JS.BeginInvokeJS" && message[4] is List<object?> call && call is [long taskId, string identifier, string argsJson, long resultType, ..]:
                if (identifier == "Blazor._internal.attachWebRendererInterop")
                {
                    // The renderer's .NET object, which events are dispatched to.
                    _rendererObjectId = JsonNode.Parse(argsJson)![1]!["__dotNetObject"]!.GetValue<long>();
                }
                await SendAsync([1L, new Dictionary<string, object?>(), null, "EndInvokeJSFromDotNet",
                    new object?[] { taskId, true, $"[{taskId},true,{ResultFor(identifier, resultType, taskId)}]" }]);
                break;
            case 1 when message[3] is "JS.Error":
                Fail($"JS.Error: {(message[4] is List<object?> error ? string.Join(", ", error) : message[4])}");
                break;
            case 3 when message[2] is "0":
                // StartCircuit's completion: [3, headers, id, 3 (a result), the circuit id]; null means it was refused.
                if (message is [_, _, _, 3L, string circuitId])
                {
                    _started.TrySetResult(circuitId);
                }
                else
                {
                    _started.TrySetException(new InvalidOperationException($"StartCircuit refused: {string.Join(", ", message.Skip(3))}"));
                }
                break;
            case 7:
                Fail($"the server closed the connection: {message.ElementAtOrDefault(1) ?? "no error"}");
                break;
        }
    }

    /// <summary>
    /// A value of the shape each call expects, as a browser with MudBlazor's script would answer: an object reference
    /// where one is asked for, the bools and counts MudBlazor reads (light mode, its script loaded, one popover
    /// provider), null for the rest (void calls and objects read as absent).
    /// </summary>
    private static string ResultFor(string identifier, long resultType, long taskId) => (resultType, identifier) switch
    {
        (1, _) => $"{{\"__jsObjectId\":{taskId}}}",
        (_, "mudThemeProvider.isDarkMode") => "false",
        (_, "window.hasOwnProperty") => "true",
        (_, "mudpopoverHelper.countProviders") => "1",
        _ => "null",
    };

    /// <summary>Reads a render batch (RenderBatchWriter's layout): the click handlers of elements with a data-testid, and awaited strings.</summary>
    private void Read(byte[] batch)
    {
        int Int(int at) => BitConverter.ToInt32(batch, at);
        var referenceFrames = Int(batch.Length - 16);
        var stringTable = Int(batch.Length - 4);
        var strings = new string[(batch.Length - 20 - stringTable) / 4];
        for (var i = 0; i < strings.Length; i++)
        {
            using var reader = new BinaryReader(new MemoryStream(batch, Int(stringTable + 4 * i), batch.Length - Int(stringTable + 4 * i)), Encoding.UTF8);
            strings[i] = reader.ReadString();
        }
        string? String(int index) => index < 0 ? null : strings[index];

        var frames = Int(referenceFrames);
        string? testId = null;
        var handlers = new Dictionary<string, ulong>();
        void Flush()
        {
            if (testId is not null && handlers.Count > 0)
            {
                lock (_handlersByTestId) _handlersByTestId[testId] = new Dictionary<string, ulong>(handlers);
            }
            (testId, handlers) = (null, []);
        }
        for (var f = 0; f < frames; f++)
        {
            var at = referenceFrames + 4 + 20 * f;
            switch (Int(at))
            {
                case 1: // an element: its attributes follow it
                    Flush();
                    break;
                case 3 when String(Int(at + 4)) is { } name: // an attribute: name, value, event handler id
                    var handler = BitConverter.ToUInt64(batch, at + 12);
                    if (name == "data-testid")
                    {
                        testId = String(Int(at + 8));
                    }
                    else if (handler != 0)
                    {
                        handlers[name] = handler;
                    }
                    break;
                default:
                    Flush();
                    break;
            }
        }
        Flush();
        Interlocked.Exchange(ref _batchRead, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        lock (_awaited)
        {
            foreach (var awaited in _awaited.Where(a => a.Texts.Any(strings.Contains)).ToList())
            {
                awaited.Seen.TrySetResult();
                _awaited.Remove(awaited);
            }
        }
    }

    private void Fail(string why)
    {
        Failure ??= why;
        _started.TrySetException(new InvalidOperationException(why));
        _interactive.TrySetException(new InvalidOperationException(why));
        _batchRead.TrySetException(new InvalidOperationException(why));
        lock (_awaited)
        {
            _awaited.ForEach(a => a.Seen.TrySetException(new InvalidOperationException(why)));
            _awaited.Clear();
        }
    }

    /// <summary>A SignalR ping every 15 s, as the JavaScript client sends: the server drops a silent client.</summary>
    private async Task PingLoopAsync()
    {
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(15), _closing.Token);
                await SendAsync([6L]);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
    }

    private async Task SendAsync(object?[] message)
    {
        var frame = BlazorPack.Frame(message);
        await _sending.WaitAsync();
        try
        {
            await _socket.SendAsync(frame, WebSocketMessageType.Binary, true, _closing.Token);
        }
        finally
        {
            _sending.Release();
        }
    }

    private async Task<byte[]> ReceiveAsync(CancellationToken cancel)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer, cancel);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return [];
            }
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return message.ToArray();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing.Cancel();
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception ex) when (ex is WebSocketException or TimeoutException)
            {
            }
        }
        await Task.WhenAll(_receiving, _pinging).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        _socket.Dispose();
        _sending.Dispose();
        _closing.Dispose();
    }

    [GeneratedRegex(@"<!--Blazor:(?<json>\{.*?\})-->", RegexOptions.Singleline)]
    private static partial Regex Marker();

    [GeneratedRegex(@"<!--Blazor-Server-Component-State:(?<state>[^-]*?)-->")]
    private static partial Regex ComponentState();
}
