// Registration of the blob grain storage, in the shape of Orleans' own providers:
// AddAzureBlobGrainStorage(name, ...) for a named instance, ...AsDefault for the default one.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using Rtfm.Persistence.AzureBlob.Providers;
using Rtfm.Persistence.AzureBlob.Storage;

namespace Rtfm.Persistence.AzureBlob.Hosting;

public static class AzureBlobGrainStorageServiceCollectionExtensions
{
    public static IServiceCollection AddAzureBlobGrainStorageAsDefault(this IServiceCollection services, Action<AzureBlobGrainStorageOptions> configure) =>
        services.AddAzureBlobGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configure);

    public static IServiceCollection AddAzureBlobGrainStorage(this IServiceCollection services, string name, Action<AzureBlobGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddAzureBlobGrainStorage(name, builder => builder.Configure(configure));
    }

    /// <summary>Registers the storage with an options builder (e.g. <c>o => o.BindConfiguration("Storage:Blob")</c>).</summary>
    public static IServiceCollection AddAzureBlobGrainStorage(this IServiceCollection services, string name, Action<OptionsBuilder<AzureBlobGrainStorageOptions>>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        configure?.Invoke(services.AddOptions<AzureBlobGrainStorageOptions>(name));
        services.AddTransient<IConfigurationValidator>(sp => new AzureBlobOptionsValidator(
            sp.GetRequiredService<IOptionsMonitor<AzureBlobGrainStorageOptions>>().Get(name), name));
        services.AddTransient<IPostConfigureOptions<AzureBlobGrainStorageOptions>, DefaultStorageProviderSerializerOptionsConfigurator<AzureBlobGrainStorageOptions>>();
        services.ConfigureNamedOptionForLogging<AzureBlobGrainStorageOptions>(name);
        return services.AddGrainStorage(name, AzureBlobGrainStorageFactory.Create);
    }
}
