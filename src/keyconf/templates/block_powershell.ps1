# >>> keyconf >>>
# Added by keyconf: loads the variables keyconf manages. `keyconf remove CLIENT` takes this block out.
if (Test-Path -LiteralPath ${env_file}) { . ${env_file} }
# <<< keyconf <<<
