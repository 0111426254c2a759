//! The flags of `callwatch completions`.

use clap::Args;
use clap_complete::Shell;

/// `callwatch completions`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Install (pick your shell):\n  \
bash:  callwatch completions bash > ~/.local/share/bash-completion/completions/callwatch\n  \
zsh:   callwatch completions zsh > ~/.zfunc/_callwatch   # with fpath+=(~/.zfunc) before compinit\n  \
fish:  callwatch completions fish > ~/.config/fish/completions/callwatch.fish\n  \
powershell:  callwatch completions powershell >> $PROFILE\n  \
elvish:  callwatch completions elvish >> ~/.config/elvish/rc.elv\n\
Then open a new shell.")]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}
