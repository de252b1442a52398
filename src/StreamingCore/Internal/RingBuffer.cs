using System.Diagnostics;

namespace StreamingCore;

/// <summary>
/// A growable circular array with O(1) add at the back and remove at the front, plus indexed
/// access and removal in the middle (needed by drop-oldest-droppable and coalesce-into-queued).
/// Not thread-safe: the owner's lock guards it.
/// </summary>
[DebuggerDisplay("Count = {Count}")]
internal sealed class RingBuffer<T>
{
    // The slots; empty until the first add (an idle queue holds no array), then a power of two long so that wrap-around is a mask.
    private T[] _items = [];

    // Index of the logical first item in _items.
    private int _head;

    public int Count { get; private set; }

    public T this[int index]
    {
        get => _items[Physical(index)];
        set => _items[Physical(index)] = value;
    }

    public void AddLast(T item)
    {
        if (Count == _items.Length)
        {
            Grow();
        }

        _items[Physical(Count)] = item;
        Count++;
    }

    public T RemoveFirst()
    {
        Debug.Assert(Count > 0, "RemoveFirst on an empty ring buffer.");
        T item = _items[_head];
        _items[_head] = default!;
        _head = (_head + 1) & (_items.Length - 1);
        Count--;
        return item;
    }

    public T RemoveAt(int index)
    {
        Debug.Assert(index >= 0 && index < Count, "RemoveAt out of range.");
        T item = this[index];
        for (int i = index; i < Count - 1; i++)
        {
            this[i] = this[i + 1];
        }

        this[Count - 1] = default!;
        Count--;
        return item;
    }

    public void Clear()
    {
        Array.Clear(_items);
        _head = 0;
        Count = 0;
    }

    private int Physical(int index) => (_head + index) & (_items.Length - 1);

    private void Grow()
    {
        var larger = new T[Math.Max(4, _items.Length * 2)];
        for (int i = 0; i < Count; i++)
        {
            larger[i] = this[i];
        }

        _items = larger;
        _head = 0;
    }
}
