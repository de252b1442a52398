using NUnit.Framework;

namespace StreamingCore.Tests.Buffering;

public class BufferFullExceptionTests
{
    [Test]
    public void The_standard_constructors_keep_message_and_inner_exception_with_an_unknown_capacity()
    {
        var inner = new InvalidOperationException("inner");

        var parameterless = new BufferFullException();
        var withMessage = new BufferFullException("queue full");
        var withInner = new BufferFullException("queue full", inner);

        Assert.Multiple(() =>
        {
            Assert.That(parameterless.Message, Is.Not.Empty);
            Assert.That(parameterless.Capacity, Is.Zero);
            Assert.That(withMessage.Message, Is.EqualTo("queue full"));
            Assert.That(withMessage.Capacity, Is.Zero);
            Assert.That(withInner.Message, Is.EqualTo("queue full"));
            Assert.That(withInner.InnerException, Is.SameAs(inner));
            Assert.That(withInner.Capacity, Is.Zero);
        });
    }

    [Test]
    public void The_capacity_constructor_names_the_capacity()
    {
        var ex = new BufferFullException(42);

        Assert.Multiple(() =>
        {
            Assert.That(ex.Capacity, Is.EqualTo(42));
            Assert.That(ex.Message, Does.Contain("42"));
            Assert.That(ex, Is.InstanceOf<InvalidOperationException>());
        });
    }
}
