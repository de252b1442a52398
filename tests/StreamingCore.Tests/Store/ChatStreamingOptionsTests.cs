using Microsoft.Extensions.Options;
using NUnit.Framework;

namespace StreamingCore.Tests.Store;

public class ChatStreamingOptionsTests
{
    [Test]
    public void Defaults_are_the_documented_seeds_and_valid()
    {
        var options = new ChatStreamingOptions();
        Assert.Multiple(() =>
        {
            Assert.That(options.MaxActiveResponses, Is.EqualTo(10_000));
            Assert.That(options.MaxResponseLength, Is.EqualTo(1024 * 1024));
            Assert.That(options.SubscriberOverflow, Is.EqualTo(OverflowStrategy.Coalesce));
            Assert.That(() => new DefaultChatStreamingStore(options).Dispose(), Throws.Nothing);
        });
    }

    [Test]
    public void Every_invalid_setting_is_named_in_one_error()
    {
        var options = new ChatStreamingOptions
        {
            IdleTimeout = TimeSpan.Zero,
            RetentionPeriod = TimeSpan.FromSeconds(-1),
            MaxActiveResponses = 0,
            MaxResponseLength = -1,
            MaxSubscribersPerConversation = 0,
            SubscriberCapacity = 0,
            SubscriberOverflow = OverflowStrategy.Wait,
        };

        var ex = Assert.Throws<OptionsValidationException>(() => new DefaultChatStreamingStore(options));

        Assert.That(ex!.Failures.Count(), Is.EqualTo(7));
        foreach (string name in new[] { "IdleTimeout", "RetentionPeriod", "MaxActiveResponses", "MaxResponseLength", "MaxSubscribersPerConversation", "SubscriberCapacity", "SubscriberOverflow must not be Wait" })
        {
            Assert.That(ex.Message, Does.Contain(name));
        }
    }

    public static IEnumerable<TestCaseData> InvalidSettings()
    {
        yield return Invalid("IdleTimeout", o => o.IdleTimeout = TimeSpan.Zero, "must be positive");
        yield return Invalid("IdleTimeout", o => o.IdleTimeout = TimeSpan.FromDays(50), "at most 49 days");
        yield return Invalid("RetentionPeriod", o => o.RetentionPeriod = TimeSpan.FromTicks(-1), "between zero and 49 days");
        yield return Invalid("MaxActiveResponses", o => o.MaxActiveResponses = 0, "greater than zero");
        yield return Invalid("MaxResponseLength", o => o.MaxResponseLength = -5, "greater than zero");
        yield return Invalid("MaxSubscribersPerConversation", o => o.MaxSubscribersPerConversation = 0, "greater than zero");
        yield return Invalid("SubscriberCapacity", o => o.SubscriberCapacity = -1, "greater than zero");
        yield return Invalid("SubscriberOverflow", o => o.SubscriberOverflow = OverflowStrategy.Wait, "slow subscriber must never slow the producer");
        yield return Invalid("SubscriberOverflow", o => o.SubscriberOverflow = (OverflowStrategy)99, "not a defined OverflowStrategy");

        static TestCaseData Invalid(string setting, Action<ChatStreamingOptions> change, string rule)
            => new TestCaseData(change, setting, rule).SetArgDisplayNames($"{setting}: {rule}");
    }

    [TestCaseSource(nameof(InvalidSettings))]
    public void Each_invalid_setting_is_refused_naming_it_and_the_rule(Action<ChatStreamingOptions> change, string setting, string rule)
    {
        var options = new ChatStreamingOptions();
        change(options);

        var ex = Assert.Throws<OptionsValidationException>(() => new DefaultChatStreamingStore(options));
        Assert.That(ex!.Failures.Single(), Does.StartWith(setting).And.Contain(rule));
    }

    [TestCase(OverflowStrategy.Coalesce)]
    [TestCase(OverflowStrategy.DropOldest)]
    [TestCase(OverflowStrategy.DropNewest)]
    [TestCase(OverflowStrategy.Reject)]
    public void Every_strategy_but_Wait_is_valid_for_subscribers(OverflowStrategy strategy)
        => Assert.That(() => new DefaultChatStreamingStore(new ChatStreamingOptions { SubscriberOverflow = strategy }).Dispose(), Throws.Nothing);

    [Test]
    public void An_infinite_idle_timeout_disables_it()
        => Assert.That(() => new DefaultChatStreamingStore(new ChatStreamingOptions { IdleTimeout = Timeout.InfiniteTimeSpan }).Dispose(), Throws.Nothing);
}
