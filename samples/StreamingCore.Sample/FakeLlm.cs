namespace StreamingCore.Sample;

/// <summary>
/// A stand-in for an LLM SDK's streaming loop: yields a canned answer token by token with realistic
/// pacing (a time to first token, then a few tens of milliseconds per token). No network.
/// </summary>
internal sealed class FakeLlm(int seed)
{
    private static readonly string[] Answers =
    [
        "Channels give you a fast queue, but a chat stream needs more: every token numbered, a bounded buffer per client, and a way to resume exactly after a reconnect.",
        "Backpressure means the producer slows down when the consumer cannot keep up. For a chat stream one slow browser tab must never slow the model, so the store coalesces text instead.",
        "A sequence number is the SSE event id. When the browser reconnects with Last-Event-ID, the server replays what the client missed from its retention and continues live. 🙂",
        "Time to first token is what users feel most. StreamingCore records it per response, along with the number of deltas, the characters and the duration.",
    ];

    private readonly Random _random = new(seed);

    public string Answer => Answers[seed % Answers.Length];

    public async IAsyncEnumerable<string> StreamAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Delay(_random.Next(200, 600), cancellationToken);
        string answer = Answer;
        int i = 0;
        while (i < answer.Length)
        {
            // Tokens of 1 to 6 characters, like a BPE tokenizer's output.
            int length = Math.Min(_random.Next(1, 7), answer.Length - i);
            yield return answer.Substring(i, length);
            i += length;
            await Task.Delay(_random.Next(15, 45), cancellationToken);
        }
    }
}
