using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Walkers;

/// <summary>
/// How operations store entries: a plain store, or an update queue (Xen PV <c>mmu_update</c>, a shadow
/// copy, a log). The walker never writes; operations write through this, so a queue plugs in without
/// touching the walker. Implement it on a struct: the operation is specialised for it.
/// </summary>
public unsafe interface IEntryWriter<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    /// <summary>Sets <paramref name="entry"/>; may be deferred until <see cref="Flush"/>.</summary>
    void Write(TEntry* entry, TEntry value);

    /// <summary>
    /// Sets <paramref name="entry"/> before returning, after every earlier <see cref="Write"/>: for table links
    /// the walk must see at once (it descends into the table it just installed) and for undoing changes.
    /// </summary>
    void WriteNow(TEntry* entry, TEntry value);

    /// <summary>Makes every deferred write visible. Operations call it before they return.</summary>
    void Flush();
}

/// <summary>The default: every write is a plain store.</summary>
public readonly unsafe struct DirectEntryWriter<TEntry> : IEntryWriter<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(TEntry* entry, TEntry value) => *entry = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteNow(TEntry* entry, TEntry value) => *entry = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Flush() { }
}

/// <summary>One queued update: the entry (its address as seen by this process) and its new value.</summary>
public readonly unsafe record struct EntryUpdate<TEntry>(nint Entry, TEntry Value)
    where TEntry : unmanaged;

/// <summary>
/// mini-os's <c>mmu_updates[]</c>: up to <see cref="Capacity"/> updates collected and applied in one batch
/// when the queue is full, when a write must be visible now, and at the end of each operation. Override
/// <see cref="Apply"/> to hand the batch to a hypervisor (translating <see cref="EntryUpdate{TEntry}.Entry"/>
/// to a machine address there); the default stores the values. Not thread-safe.
/// </summary>
public class EntryUpdateQueue<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    public const int Capacity = 512;

    private readonly EntryUpdate<TEntry>[] _pending = new EntryUpdate<TEntry>[Capacity];

    /// <summary>Updates waiting for the next batch.</summary>
    public int Pending { get; private set; }

    /// <summary>Batches applied so far (the number of <c>mmu_update</c> hypercalls).</summary>
    public long Batches { get; private set; }

    /// <summary>Updates applied so far.</summary>
    public long Updates { get; private set; }

    public void Enqueue(nint entry, TEntry value)
    {
        if (Pending == Capacity)
            Flush();
        _pending[Pending++] = new EntryUpdate<TEntry>(entry, value);
    }

    public void Flush()
    {
        if (Pending == 0)
            return;
        Apply(_pending.AsSpan(0, Pending));
        Batches++;
        Updates += Pending;
        Pending = 0;
    }

    /// <summary>Applies one batch, in order.</summary>
    protected virtual unsafe void Apply(ReadOnlySpan<EntryUpdate<TEntry>> updates)
    {
        foreach (var update in updates)
            *(TEntry*)update.Entry = update.Value;
    }
}

/// <summary>Writes through an <see cref="EntryUpdateQueue{TEntry}"/> (the queue holds the state; this struct is a handle).</summary>
public readonly unsafe struct QueuedEntryWriter<TEntry>(EntryUpdateQueue<TEntry> queue) : IEntryWriter<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    private readonly EntryUpdateQueue<TEntry> _queue = queue ?? throw new ArgumentNullException(nameof(queue));

    public void Write(TEntry* entry, TEntry value) => _queue.Enqueue((nint)entry, value);

    public void WriteNow(TEntry* entry, TEntry value)
    {
        _queue.Enqueue((nint)entry, value);
        _queue.Flush();
    }

    public void Flush() => _queue.Flush();
}
