using NUnit.Framework;

namespace StreamingCore.Tests.Events;

public class ChatStreamPositionTests
{
    [TestCase("k3x9", 0L, "k3x9:0")]
    [TestCase("a.b_c-D", 57L, "a.b_c-D:57")]
    [TestCase("e", long.MaxValue, "e:9223372036854775807")]
    public void ToString_is_epoch_colon_sequence_and_round_trips(string epoch, long sequence, string expected)
    {
        var position = new ChatStreamPosition(epoch, sequence);
        Assert.That(position.ToString(), Is.EqualTo(expected));
        Assert.That(ChatStreamPosition.TryParse(expected, out ChatStreamPosition parsed), Is.True);
        Assert.That(parsed, Is.EqualTo(position));
    }

    [Test]
    public void The_longest_position_fits_in_64_characters_of_the_allowed_alphabet()
    {
        string text = new ChatStreamPosition(new string('z', ChatStreamPosition.MaxEpochLength), long.MaxValue).ToString();
        Assert.That(text, Has.Length.LessThanOrEqualTo(64).And.Match("^[A-Za-z0-9._:-]+$"));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("57")]
    [TestCase(":57")]
    [TestCase("e:")]
    [TestCase("e:-1")]
    [TestCase("e:+1")]
    [TestCase("e:007")]
    [TestCase("e: 1")]
    [TestCase("e:1 ")]
    [TestCase("e:1.0")]
    [TestCase("e:9223372036854775808")]
    [TestCase("e/x:1")]
    [TestCase("é:1")]
    [TestCase("e\u0000:1")]
    [TestCase("e:١")]
    public void TryParse_refuses_anything_ToString_cannot_produce(string? text)
    {
        Assert.That(ChatStreamPosition.TryParse(text, out ChatStreamPosition position), Is.False);
        Assert.That(position, Is.EqualTo(default(ChatStreamPosition)));
    }

    [Test]
    public void TryParse_refuses_over_long_text_and_over_long_epochs()
    {
        Assert.That(ChatStreamPosition.TryParse(new string('e', 45) + ":1", out _), Is.False);
        Assert.That(ChatStreamPosition.TryParse(new string('e', 44) + ":1", out _), Is.True);
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("has:colon")]
    [TestCase("has space")]
    public void An_invalid_epoch_is_refused_on_construction(string? epoch)
        => Assert.That(() => new ChatStreamPosition(epoch!, 1), Throws.ArgumentException.With.Property("ParamName").EqualTo("Epoch"));

    [Test]
    public void A_negative_sequence_is_refused_on_construction()
        => Assert.That(() => new ChatStreamPosition("e", -1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Sequence"));

    [Test]
    public void Default_prints_empty()
        => Assert.That(default(ChatStreamPosition).ToString(), Is.Empty);
}
