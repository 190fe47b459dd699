// Registration of the blob content stores: services.AddAzureBlobContentStores(o => ...) adds a
// singleton AzureBlobContentStores (one container, one pipeline) whose options are checked at start.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rtfm.Persistence.AzureBlob.Providers;
using Rtfm.Persistence.AzureBlob.Storage;

namespace Rtfm.Persistence.AzureBlob.Hosting;

public static class AzureBlobContentStoreServiceCollectionExtensions
{
    public static IServiceCollection AddAzureBlobContentStores(this IServiceCollection services, Action<AzureBlobContentStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddAzureBlobContentStores(builder => builder.Configure(configure));
    }

    /// <summary>Registers the stores with an options builder (e.g. <c>o => o.BindConfiguration("Storage:Content")</c>).</summary>
    public static IServiceCollection AddAzureBlobContentStores(this IServiceCollection services, Action<OptionsBuilder<AzureBlobContentStoreOptions>> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = services.AddOptions<AzureBlobContentStoreOptions>();
        configure(builder);
        services.AddSingleton<IValidateOptions<AzureBlobContentStoreOptions>, ContentStoreOptionsValidation>();
        builder.ValidateOnStart(); // a host with unusable options fails at start, with the fix in the message
        services.AddSingleton<AzureBlobContentStores>();
        return services;
    }

    private sealed class ContentStoreOptionsValidation : IValidateOptions<AzureBlobContentStoreOptions>
    {
        public ValidateOptionsResult Validate(string? name, AzureBlobContentStoreOptions options)
        {
            var errors = AzureBlobOptionsValidator.Validate(options, "content");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
