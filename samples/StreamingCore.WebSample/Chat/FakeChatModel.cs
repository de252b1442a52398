using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;

namespace StreamingCore.WebSample;

/// <summary>
/// A stand-in for an LLM: answers a message with one of a few canned texts, token by token, on the app's
/// <see cref="TimeProvider"/>. The same message always gets the same text in the same tokens, so a test knows what to expect.
/// </summary>
public sealed class FakeChatModel(TimeProvider timeProvider, IOptions<WebSampleOptions> options)
{
    private static readonly string[] Answers =
    [
        "Server-Sent Events are plain HTTP: the server keeps the response open and writes one event per token. Every event carries an id, so when the connection drops the browser reconnects with Last-Event-ID and StreamingCore replays exactly what it missed, then continues live. Press \"Drop connection\" while I am typing to watch it resume.",
        "A slow browser tab never slows the model: every subscriber has its own bounded queue, and when it fills up consecutive deltas are merged, so no text is lost and memory stays bounded. The producer publishes and moves on; the endpoint writes as fast as each client reads. 🙂",
        "Positions are (epoch, sequence). The sequence grows by one per event; the epoch names the stream's incarnation, so an id from before a restart is refused with 410 Gone instead of being applied to somebody else's text. Resume is all or nothing, never a silent hole.",
    ];

    /// <summary>The answer to <paramref name="message"/>, whole.</summary>
    public static string AnswerTo(string message) => Answers[Seed(message) % Answers.Length];

    /// <summary>The tokens of the answer to <paramref name="message"/>: 1 to 6 characters each, like a BPE tokenizer's output.</summary>
    public static IReadOnlyList<string> TokensOf(string message)
    {
        string answer = AnswerTo(message);
        var random = new Random(Seed(message));
        var tokens = new List<string>();
        for (int i = 0; i < answer.Length;)
        {
            int length = Math.Min(random.Next(1, 7), answer.Length - i);
            if (char.IsHighSurrogate(answer[i + length - 1]) && i + length < answer.Length)
            {
                length++; // never split a surrogate pair
            }

            tokens.Add(answer.Substring(i, length));
            i += length;
        }

        return tokens;
    }

    /// <summary>
    /// Streams the answer's tokens. Token <c>i</c> is due at start + first-token delay + i × token delay: the schedule is
    /// absolute, so a late wake-up catches up instead of drifting, and a test that advances a fake clock gets every token due.
    /// </summary>
    public async IAsyncEnumerable<string> StreamAsync(string message, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        WebSampleOptions pacing = options.Value;
        DateTimeOffset start = timeProvider.GetUtcNow();
        IReadOnlyList<string> tokens = TokensOf(message);
        for (int i = 0; i < tokens.Count; i++)
        {
            TimeSpan wait = start + pacing.FirstTokenDelay + (i * pacing.TokenDelay) - timeProvider.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, timeProvider, cancellationToken);
            }

            yield return tokens[i];
        }
    }

    private static int Seed(string message)
    {
        // string.GetHashCode differs per process; this does not.
        int seed = 17;
        foreach (char c in message)
        {
            seed = unchecked((seed * 31) + c);
        }

        return seed & int.MaxValue;
    }
}
