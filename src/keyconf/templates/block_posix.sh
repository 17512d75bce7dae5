# >>> keyconf >>>
# Added by keyconf: loads the variables keyconf manages. `keyconf remove CLIENT` takes this block out.
[ -f ${env_file} ] && . ${env_file}
# <<< keyconf <<<
