namespace Walkers.CodeFixes;

/// <summary>
/// The generator's diagnostic ids and property names (Walkers.Generator's DiagnosticDescriptors), repeated here
/// because this assembly cannot reference the generator's; a test checks they agree.
/// </summary>
internal static class DiagnosticIds
{
    public const string TypeNotPartial = "WALK0001";
    public const string EntriesNotPowerOfTwo = "WALK0004";
    public const string ShiftsDoNotChain = "WALK0005";

    public const string MakePartialProperty = "MakePartial";
    public const string EntriesProperty = "Entries";
    public const string ExpectedShiftProperty = "ExpectedShift";
}
