//! TODO: sinks / subscriptions / types subcommands (Events v1 REST API).

/// `callwatch sinks ...`
#[derive(Debug, clap::Args)]
pub struct SinksArgs {}
/// `callwatch subscriptions ...`
#[derive(Debug, clap::Args)]
pub struct SubscriptionsArgs {}
/// `callwatch types ...`
#[derive(Debug, clap::Args)]
pub struct TypesArgs {}

pub async fn run_sinks(_args: SinksArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
pub async fn run_subscriptions(_args: SubscriptionsArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
pub async fn run_types(_args: TypesArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
