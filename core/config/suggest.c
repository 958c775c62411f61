#include <string.h>

#include "config/suggest.h"

#define MAXLEN 64

size_t cfg_edit_distance(const char *a, const char *b, size_t limit)
{
        size_t n = strlen(a), m = strlen(b);
        if (n > MAXLEN || m > MAXLEN)
                return limit + 1;
        if ((n > m ? n - m : m - n) > limit)
                return limit + 1;
        size_t d[MAXLEN + 1][MAXLEN + 1];
        for (size_t i = 0; i <= n; i++)
                d[i][0] = i;
        for (size_t j = 0; j <= m; j++)
                d[0][j] = j;
        for (size_t i = 1; i <= n; i++) {
                for (size_t j = 1; j <= m; j++) {
                        size_t cost = a[i - 1] != b[j - 1];
                        size_t best = d[i - 1][j] + 1;
                        if (d[i][j - 1] + 1 < best)
                                best = d[i][j - 1] + 1;
                        if (d[i - 1][j - 1] + cost < best)
                                best = d[i - 1][j - 1] + cost;
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                            d[i - 2][j - 2] + 1 < best)
                                best = d[i - 2][j - 2] + 1;
                        d[i][j] = best;
                }
        }
        return d[n][m];
}

int cfg_is_close(const char *word, const char *candidate)
{
        size_t len = strlen(word);
        size_t limit = len >= 6 ? 2 : (len >= 3 ? 1 : 0);
        return limit && cfg_edit_distance(word, candidate, limit) <= limit;
}
