-- a neutralized copy never writes into the backup space of its original
UPDATE storage_backup_policy
   SET active = false;
