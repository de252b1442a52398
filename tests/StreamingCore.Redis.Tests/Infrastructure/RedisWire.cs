using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StreamingCore.Redis.Tests.Infrastructure;

/// <summary>
/// One command on a fresh loopback connection, in plain RESP. The infrastructure checks a server's health with this rather
/// than with StackExchange.Redis so that what decides "the server is up" never depends on the client the tests exercise
/// (a multiplexer also reconnects and queues, which hides exactly what a readiness check must see).
/// </summary>
internal static class RedisWire
{
    /// <summary>
    /// Sends <paramref name="command"/> to 127.0.0.1:<paramref name="port"/> and returns the reply: a simple string, a bulk
    /// string (null for a nil reply) or an integer as text. An error reply throws <see cref="InvalidOperationException"/>;
    /// a refused or dropped connection throws <see cref="SocketException"/> or <see cref="IOException"/>.
    /// </summary>
    /// <remarks>Only for the ASCII replies the infrastructure reads (PONG, OK, CLUSTER INFO); arrays are not parsed.</remarks>
    public static async Task<string?> SendAsync(int port, CancellationToken cancellationToken, params string[] command)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        NetworkStream stream = client.GetStream();

        var request = new StringBuilder().Append('*').Append(command.Length).Append("\r\n");
        foreach (string part in command)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancellationToken);

        using var reader = new StreamReader(stream, Encoding.ASCII, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        string line = await reader.ReadLineAsync(cancellationToken)
            ?? throw new IOException($"127.0.0.1:{port} closed the connection without replying to {command[0]}.");
        switch (line[0])
        {
            case '+':
            case ':':
                return line[1..];
            case '-':
                throw new InvalidOperationException($"127.0.0.1:{port} replied to {command[0]} with an error: {line[1..]}");
            case '$':
                int length = int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return null;
                }

                // ASCII replies only (see remarks): one char per byte, so the byte length is the char count.
                char[] body = new char[length];
                int read = await reader.ReadBlockAsync(body.AsMemory(), cancellationToken);
                if (read < length)
                {
                    throw new IOException($"127.0.0.1:{port} closed the connection in the middle of its reply to {command[0]}.");
                }

                return new string(body);
            default:
                throw new InvalidOperationException($"127.0.0.1:{port} sent an unexpected reply to {command[0]}: {line}");
        }
    }
}
