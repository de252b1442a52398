using System.Buffers.Text;
using System.Text;
using StackExchange.Redis;

namespace StreamingCore.Redis.Internal;

/// <summary>
/// The names of one conversation's keys and channel. All contain the conversation's <c>{hash tag}</c>, so one script can
/// touch them all on Redis Cluster and an operator finds them with <c>SCAN MATCH prefix{id}*</c>.
/// </summary>
internal sealed class ConversationKeys
{
    // Marks an encoded id; an id that starts with it is encoded too, so two ids never share a tag.
    private const string EncodedMark = "~";

    public ConversationKeys(string prefix, string conversationId)
    {
        ConversationId = conversationId;
        string tag = Tag(conversationId);
        string root = string.Concat(prefix, "{", tag, "}:");
        Meta = root + "meta";
        Stream = root + "stream";
        Lease = root + "lease";
        Responses = root + "responses";
        Channel = RedisChannel.Literal(root + "live");
        ChannelName = root + "live";
        All = [Meta, Stream, Lease, Responses];
    }

    public string ConversationId { get; }

    /// <summary>A hash: <c>e</c> the epoch, <c>s</c> the last sequence written, <c>a</c> the active response's first sequence (0 for none), <c>o</c> its owner.</summary>
    public RedisKey Meta { get; }

    /// <summary>The events: a stream whose entry ids are the sequences (<c>seq-0</c>).</summary>
    public RedisKey Stream { get; }

    /// <summary>The owner's claim on the active response; expires unless renewed.</summary>
    public RedisKey Lease { get; }

    /// <summary>The first sequence of each response kept, oldest first; the stream is trimmed to it.</summary>
    public RedisKey Responses { get; }

    /// <summary>Where each write's events are published for the instances that follow the conversation.</summary>
    public RedisChannel Channel { get; }

    /// <summary>The channel's name, for the scripts that publish to it.</summary>
    public string ChannelName { get; }

    /// <summary>Meta, stream, lease and responses, in the order the scripts take them.</summary>
    public RedisKey[] All { get; }

    /// <summary>The hash tag: the id itself, or its UTF-8 in base64url when it holds a brace (which would end the tag early).</summary>
    internal static string Tag(string conversationId)
    {
        if (conversationId.AsSpan().IndexOfAny('{', '}') < 0 && !conversationId.StartsWith(EncodedMark, StringComparison.Ordinal))
        {
            return conversationId;
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(conversationId);
        return EncodedMark + Base64UrlEncode(utf8);
    }

    private static string Base64UrlEncode(byte[] bytes)
    {
#if NET10_0_OR_GREATER
        return Base64Url.EncodeToString(bytes);
#else
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
#endif
    }
}
