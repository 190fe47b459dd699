// Checks the blob options when the silo (or host) starts, with messages that say how to fix
// what is wrong: a misconfigured store must fail at start, not on the first grain write.

namespace Rtfm.Persistence.AzureBlob.Providers;

public sealed class AzureBlobOptionsValidator(AzureBlobConnectionOptions options, string name) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var errors = Validate(options, name);
        if (errors.Count > 0) throw new OrleansConfigurationException(string.Join(Environment.NewLine, errors));
    }

    /// <summary>Every problem found, one message each (empty when the options are usable).</summary>
    public static IReadOnlyList<string> Validate(AzureBlobConnectionOptions options, string name)
    {
        ArgumentNullException.ThrowIfNull(options);
        string kind = options.GetType().Name;
        var errors = new List<string>();
        bool hasConnection = !string.IsNullOrWhiteSpace(options.ConnectionString);
        if (hasConnection == (options.ServiceUri is not null))
            errors.Add(hasConnection
                ? $"{kind} '{name}': both ConnectionString and ServiceUri are set; set only one of them."
                : $"{kind} '{name}': no account given; set ConnectionString (for Azurite: \"UseDevelopmentStorage=true\") or ServiceUri (https://ACCOUNT.blob.core.windows.net) with a Credential.");
        if (options.ServiceUri is { IsAbsoluteUri: false })
            errors.Add($"{kind} '{name}': ServiceUri '{options.ServiceUri}' is relative; give the absolute blob endpoint, e.g. https://ACCOUNT.blob.core.windows.net.");
        if (options.Credential is not null && options.ServiceUri is null)
            errors.Add($"{kind} '{name}': a Credential is set but no ServiceUri; the credential is used only with ServiceUri.");
        if (ContainerNameProblem(options.ContainerName) is { } problem)
            errors.Add($"{kind} '{name}': ContainerName '{options.ContainerName}' {problem}.");
        var r = options.Resilience;
        if (r is null)
        {
            errors.Add($"{kind} '{name}': Resilience is null; leave it at its default (new BlobResilienceOptions()).");
            return errors;
        }
        if (r.MaxRetryAttempts is < 0 or > 10)
            errors.Add($"{kind} '{name}': Resilience.MaxRetryAttempts {r.MaxRetryAttempts} must be 0..10 (default {BlobResilienceOptions.DEFAULT_MAX_RETRY_ATTEMPTS}); more retries only delay the circuit breaker.");
        if (r.RetryBaseDelay <= TimeSpan.Zero || r.RetryMaxDelay < r.RetryBaseDelay)
            errors.Add($"{kind} '{name}': Resilience.RetryBaseDelay must be > 0 and RetryMaxDelay at least RetryBaseDelay (defaults {BlobResilienceOptions.DEFAULT_RETRY_BASE_DELAY.TotalMilliseconds} ms and {BlobResilienceOptions.DEFAULT_RETRY_MAX_DELAY.TotalMilliseconds} ms).");
        if (r.AttemptTimeout < TimeSpan.FromMilliseconds(10) || r.AttemptTimeout > TimeSpan.FromDays(1))
            errors.Add($"{kind} '{name}': Resilience.AttemptTimeout {r.AttemptTimeout} must be between 10 ms and 1 day (default {BlobResilienceOptions.DEFAULT_ATTEMPT_TIMEOUT.TotalSeconds} s).");
        if (r.FailureRatio is <= 0 or > 1)
            errors.Add($"{kind} '{name}': Resilience.FailureRatio {r.FailureRatio} must be in (0, 1] (default {BlobResilienceOptions.DEFAULT_FAILURE_RATIO}).");
        if (r.MinimumThroughput < 2)
            errors.Add($"{kind} '{name}': Resilience.MinimumThroughput {r.MinimumThroughput} must be at least 2 (default {BlobResilienceOptions.DEFAULT_MINIMUM_THROUGHPUT}).");
        if (r.SamplingDuration < TimeSpan.FromMilliseconds(500))
            errors.Add($"{kind} '{name}': Resilience.SamplingDuration {r.SamplingDuration} must be at least 500 ms (default {BlobResilienceOptions.DEFAULT_SAMPLING_DURATION.TotalSeconds} s).");
        if (r.BreakDuration < TimeSpan.FromMilliseconds(500))
            errors.Add($"{kind} '{name}': Resilience.BreakDuration {r.BreakDuration} must be at least 500 ms (default {BlobResilienceOptions.DEFAULT_BREAK_DURATION.TotalSeconds} s).");
        return errors;
    }

    /// <summary>Why the name breaks Azure's container naming rules, or null when it is valid.</summary>
    public static string? ContainerNameProblem(string? containerName)
    {
        if (string.IsNullOrEmpty(containerName)) return "is empty; use 3 to 63 lowercase letters, digits and single hyphens";
        if (containerName.Length is < 3 or > 63) return $"has {containerName.Length} characters; use 3 to 63";
        foreach (char c in containerName)
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-')
                return $"contains '{c}'; use only lowercase letters, digits and hyphens";
        if (containerName[0] == '-' || containerName[^1] == '-') return "starts or ends with a hyphen; begin and end with a letter or digit";
        if (containerName.Contains("--", StringComparison.Ordinal)) return "contains two hyphens in a row; use single hyphens";
        return null;
    }
}
