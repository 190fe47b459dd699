// The Azurite instance test.sh starts (infra/test/azurite.sh). Tests that need it fail, never
// skip, when it is missing, and say how to get it.
namespace Rtfm.Persistence.AzureBlob.Tests;

public static class Azurite
{
    public const string ConnectionVariable = "RTFM_TEST_BLOB_CONNECTION";
    public const string ProgramVariable = "RTFM_TEST_AZURITE_BLOB";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{ConnectionVariable} is not set: these tests need Azurite. Run ./test.sh (it starts Azurite), or " +
                "`source infra/test/azurite.sh && rtfm_azurite_start` in your shell before `dotnet test`.");

    /// <summary>A container name no other test run uses.</summary>
    public static string FreshContainerName(string kind) => $"{kind}-{Guid.NewGuid():N}"[..Math.Min(63, kind.Length + 33)];
}
