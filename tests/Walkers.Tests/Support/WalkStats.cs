using System.Collections.Generic;
using System.Threading;

namespace Walkers.Tests.Support;

/// <summary>How much of the tables random walks reached: guards a property against becoming vacuous.</summary>
public sealed class WalkStats
{
    private long _walks, _calls, _reachedLevel1, _maxCalls;

    public void Add(List<Call> calls)
    {
        Interlocked.Increment(ref _walks);
        Interlocked.Add(ref _calls, calls.Count);
        if (calls.Exists(c => c.Level == 1))
            Interlocked.Increment(ref _reachedLevel1);
        long max;
        while ((max = Interlocked.Read(ref _maxCalls)) < calls.Count && Interlocked.CompareExchange(ref _maxCalls, calls.Count, max) != max) { }
    }

    public override string ToString() =>
        $"{_walks} walks, {_calls} calls (max {_maxCalls} in one walk), {_reachedLevel1} reached level 1";

    public void AssertMeaningful(int iterations)
    {
        System.Console.WriteLine(this);
        Assert.True(_walks >= iterations, ToString());
        Assert.True(_reachedLevel1 >= iterations / 10, "too few walks reached level 1: " + this);
    }
}
