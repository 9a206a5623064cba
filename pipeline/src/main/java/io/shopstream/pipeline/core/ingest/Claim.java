package io.shopstream.pipeline.core.ingest;

import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.store.Ledger;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The versions of a group whose ledger lock a transaction took and that are not committed yet (its
 * to ingest), and those another session holds and has not committed.
 */
record Claim(Set<FileVersion> ours, Set<FileVersion> lockedElsewhere) {

  /** Takes the locks; the versions locked are added to {@code held}. */
  static Claim take(Connection connection, List<GroupIngest.Found> group, Set<FileVersion> held)
      throws SQLException {
    List<FileVersion> versions = group.stream().map(GroupIngest.Found::version).toList();
    Set<FileVersion> ours = new HashSet<>(Ledger.claim(connection, versions));
    held.addAll(ours);
    Set<FileVersion> lockedElsewhere = new HashSet<>(versions);
    lockedElsewhere.removeAll(ours);
    lockedElsewhere.removeAll(Ledger.committed(connection, lockedElsewhere));
    ours.removeAll(Ledger.committed(connection, ours));
    return new Claim(ours, lockedElsewhere);
  }
}
