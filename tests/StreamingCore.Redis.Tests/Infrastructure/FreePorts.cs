using System.Net;
using System.Net.Sockets;

namespace StreamingCore.Redis.Tests.Infrastructure;

/// <summary>Loopback ports that are free at the moment they are picked.</summary>
internal static class FreePorts
{
    /// <summary>
    /// Picks <paramref name="count"/> distinct free ports by letting the OS bind listeners on port 0. All the listeners are
    /// held until every port is picked, so the OS cannot hand the same port out twice; they are released before returning, so
    /// another process can still take one before redis-server binds it: the caller detects that and picks again.
    /// </summary>
    public static int[] Pick(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}
