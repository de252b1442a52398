namespace StreamingCore.AspNetCore;

/// <summary>Why a connection ends.</summary>
internal enum ConnectionEnd
{
    /// <summary>Still open, or ended by the transport itself (the stream or the peer finished).</summary>
    None,

    /// <summary>The client went away (<c>HttpContext.RequestAborted</c>).</summary>
    ClientLeft,

    /// <summary>The app is stopping (<c>IHostApplicationLifetime.ApplicationStopping</c>).</summary>
    ApplicationStopping,

    /// <summary><see cref="ChatStreamingHttpOptions.MaxConnectionDuration"/> passed.</summary>
    MaxDurationReached,
}

/// <summary>
/// One token for everything that ends a connection (the client leaving, the app stopping, the duration limit on the
/// store's <see cref="TimeProvider"/>, or the connection itself) and which of them it was.
/// </summary>
internal sealed class ConnectionLifetime : IDisposable
{
    // The request's abort token: the client left.
    private readonly CancellationToken _clientLeft;

    // IHostApplicationLifetime.ApplicationStopping.
    private readonly CancellationToken _stopping;

    // Fires at MaxConnectionDuration on the TimeProvider (a timer, not a thread); null without a limit.
    private readonly CancellationTokenSource? _duration;

    // Linked to all of the above; End() cancels it directly.
    private readonly CancellationTokenSource _linked;

    public ConnectionLifetime(CancellationToken clientLeft, CancellationToken stopping, TimeSpan? maxDuration, TimeProvider timeProvider)
    {
        _clientLeft = clientLeft;
        _stopping = stopping;
        _duration = maxDuration is { } duration ? new CancellationTokenSource(duration, timeProvider) : null;
        _linked = CancellationTokenSource.CreateLinkedTokenSource(clientLeft, stopping, _duration?.Token ?? CancellationToken.None);
    }

    /// <summary>Gets the token that ends the connection's work.</summary>
    public CancellationToken Token => _linked.Token;

    /// <summary>Gets why the connection ends; the client leaving wins, then the app stopping, then the duration.</summary>
    public ConnectionEnd Reason
        => _clientLeft.IsCancellationRequested ? ConnectionEnd.ClientLeft
        : _stopping.IsCancellationRequested ? ConnectionEnd.ApplicationStopping
        : _duration?.IsCancellationRequested == true ? ConnectionEnd.MaxDurationReached
        : ConnectionEnd.None;

    /// <summary>Ends the connection's work (the stream ended, or the transport failed).</summary>
    public void End() => _linked.Cancel();

    public void Dispose()
    {
        _linked.Dispose();
        _duration?.Dispose();
    }
}
