using NUnit.Framework;

namespace StreamingCore.Tests.Events;

public class ChatStreamingEventTests
{
    [Test]
    public void Factories_set_kind_and_payload_only_for_their_kind()
    {
        var usage = new TokenUsage(12, 30);
        ChatStreamingEvent delta = ChatStreamingEvent.Delta("c", "Hello");
        ChatStreamingEvent finished = ChatStreamingEvent.Finished("c", usage);
        ChatStreamingEvent failed = ChatStreamingEvent.Failed("c", "model overloaded");

        Assert.Multiple(() =>
        {
            Assert.That(ChatStreamingEvent.Started("c").Kind, Is.EqualTo(ChatStreamingEventKind.Started));
            Assert.That((delta.Kind, delta.Text, delta.Usage, delta.Error), Is.EqualTo((ChatStreamingEventKind.Delta, "Hello", (TokenUsage?)null, (string?)null)));
            Assert.That((finished.Text, finished.Usage, finished.Error), Is.EqualTo(((string?)null, usage, (string?)null)));
            Assert.That((failed.Text, failed.Usage, failed.Error), Is.EqualTo(((string?)null, (TokenUsage?)null, "model overloaded")));
            Assert.That(delta.Sequence, Is.Zero);
            Assert.That(delta.Timestamp, Is.EqualTo(DateTimeOffset.MinValue));
            Assert.That(finished.IsTerminal && failed.IsTerminal && !delta.IsTerminal, Is.True);
        });
    }

    [Test]
    public void The_event_stays_four_words_with_its_epoch()
        => Assert.That(System.Runtime.CompilerServices.Unsafe.SizeOf<ChatStreamingEvent>(), Is.EqualTo(32), "conversation id or origin, payload, sequence, kind and ticks");

    [Test]
    public void Token_usage_totals_input_and_output()
        => Assert.That(new TokenUsage(12, 30).TotalTokens, Is.EqualTo(42));

    [Test]
    public void Events_compare_by_value()
        => Assert.That(ChatStreamingEvent.Delta("c", "a" + "b"), Is.EqualTo(ChatStreamingEvent.Delta("c", "ab")));

    [TestCase(null, typeof(ArgumentNullException))]
    [TestCase("", typeof(ArgumentException))]
    [TestCase("   ", typeof(ArgumentException))]
    [TestCase("a\u0000b", typeof(ArgumentException))]
    [TestCase("line\nbreak", typeof(ArgumentException))]
    public void Invalid_conversation_ids_are_refused_with_the_argument_named(string? id, Type expected)
    {
        var ex = (ArgumentException)Assert.Throws(expected, () => ChatStreamingEvent.Started(id!))!;
        Assert.That(ex.ParamName, Is.EqualTo("conversationId"));
    }

    [Test]
    public void An_over_long_conversation_id_is_refused_with_the_limit_named()
    {
        var ex = Assert.Throws<ArgumentException>(() => ChatStreamingEvent.Delta(new string('x', 257), "t"));
        Assert.That(ex!.Message, Does.Contain("256"));
        Assert.DoesNotThrow(() => ChatStreamingEvent.Delta(new string('x', 256), "t"));
    }

    [Test]
    public void A_null_delta_is_refused_and_an_empty_one_is_allowed()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => ChatStreamingEvent.Delta("c", null!));
        Assert.That(ex!.ParamName, Is.EqualTo("text"));
        Assert.That(ChatStreamingEvent.Delta("c", string.Empty).Text, Is.Empty);
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase(" ")]
    public void A_failure_needs_an_error(string? error)
        => Assert.That(() => ChatStreamingEvent.Failed("c", error!), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("error"));
}
